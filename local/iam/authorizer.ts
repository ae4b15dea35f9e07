/**
 * IAM for the local endpoints: who is calling (the access key in the SigV4 Authorization header) and
 * whether that principal's identity policy allows the call, decided by @cloud-copilot/iam-simulate.
 * Signatures are not checked: the key only says who the caller claims to be, which is all a local
 * stack needs to keep each Lambda to its own role.
 */
import type { runSimulation } from '@cloud-copilot/iam-simulate';
import { LOCAL_ACCOUNT } from '../fabric/aws-names';
import type { PolicyDocument } from './synthesized-policies';

export interface LocalPrincipal {
  /** The ARN AWS names the caller by in an AccessDenied message (an assumed role for a Lambda). */
  arn: string;
  /** Its identity policy. None: an administrator of the local account, whose calls are not evaluated. */
  policy?: PolicyDocument;
}

/** One IAM action on one resource ARN; a call may need several (a batch over tables). */
export interface IamCheck {
  action: string;
  resource: string;
}

export type Authorization =
  | { allowed: true }
  | { allowed: false; unknownKey: true }
  | { allowed: false; unknownKey: false; principalArn: string; action: string; resource: string; explicitDeny: boolean };

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** Decisions kept at most; a bulk run touches each execution ARN once or twice, so older ones are rarely asked again. */
const MAX_CACHED_DECISIONS = 10_000;

/** What AWS says for an access key it does not know, in every protocol. */
export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';

/**
 * The evaluation library is AGPL-3.0, so this Apache-2.0 package does not depend on it: it is a
 * development dependency, loaded only when a local stack enforces IAM.
 */
export const IAM_SIMULATOR_PACKAGE = '@cloud-copilot/iam-simulate';

type Simulator = typeof runSimulation;

export class IamAuthorizer {
  /** Policies are fixed for the stack's life, so a decision is too: the demo asks the same few thousands of times. */
  private readonly decisions = new Map<string, Promise<Decision>>();

  private constructor(
    private readonly principals: ReadonlyMap<string, LocalPrincipal>,
    private readonly simulator: Simulator,
  ) {}

  static load(principals: ReadonlyMap<string, LocalPrincipal>): IamAuthorizer {
    let simulator: Simulator;
    try {
      // require, not import(): jest runs this project as CommonJS, where import() needs VM modules.
      ({ runSimulation: simulator } = require(IAM_SIMULATOR_PACKAGE) as { runSimulation: Simulator });
    } catch (error) {
      throw new Error(
        `The local stack enforces IAM with ${IAM_SIMULATOR_PACKAGE}, which is not installed (${(error as Error).message}). ` +
          `Install it (npm install ${IAM_SIMULATOR_PACKAGE}; it is AGPL-3.0) or turn enforcement off (serve --no-iam).`,
      );
    }
    return new IamAuthorizer(principals, simulator);
  }

  /** A call, by its SigV4 Authorization header. */
  authorize(authorizationHeader: string | string[] | undefined, checks: IamCheck[]): Promise<Authorization> {
    return this.authorizeKey(accessKeyIdOf(authorizationHeader), checks);
  }

  async authorizeKey(accessKeyId: string | undefined, checks: IamCheck[]): Promise<Authorization> {
    const principal = accessKeyId === undefined ? undefined : this.principals.get(accessKeyId);
    if (!principal) return { allowed: false, unknownKey: true };
    if (!principal.policy) return { allowed: true };
    for (const check of checks) {
      const decision = await this.decide(accessKeyId!, principal, check);
      if (decision !== 'Allowed') return { allowed: false, unknownKey: false, principalArn: principal.arn, ...check, explicitDeny: decision === 'ExplicitlyDenied' };
    }
    return { allowed: true };
  }

  private decide(accessKeyId: string, principal: LocalPrincipal, { action, resource }: IamCheck): Promise<Decision> {
    const key = `${accessKeyId}\n${action}\n${resource}`;
    let decision = this.decisions.get(key);
    if (!decision) {
      if (this.decisions.size >= MAX_CACHED_DECISIONS) this.decisions.clear();
      decision = simulate(this.simulator, principal, action, resource);
      this.decisions.set(key, decision);
    }
    return decision;
  }
}

async function simulate(simulator: Simulator, principal: LocalPrincipal, action: string, resource: string): Promise<Decision> {
  const result = await simulator(
    {
      identityPolicies: [{ name: 'role-policy', policy: principal.policy! }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action, principal: principal.arn, resource: { resource, accountId: LOCAL_ACCOUNT }, contextVariables: {} },
    },
    {},
  );
  // A validation error (an unknown action, a resource of the wrong type) is a bug in the local stack's mapping.
  if (result.resultType === 'error') throw new Error(`IAM simulation of ${action} on ${resource} failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** `AWS4-HMAC-SHA256 Credential=<accessKeyId>/<date>/<region>/<service>/aws4_request, ...` */
export function accessKeyIdOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined ? undefined : /Credential=([^/,\s]+)\//.exec(value)?.[1];
}

/**
 * AWS's wording. Services spell the action their own way in it (SNS `SNS:Publish`, SQS `sqs:sendmessage`)
 * and Secrets Manager names the SecretId as given, hence `shown`.
 */
export function deniedMessage(
  denial: Extract<Authorization, { unknownKey: false }>,
  shown: { action?: string; resource?: string } = {},
): string {
  const action = shown.action ?? denial.action;
  const why = denial.explicitDeny ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${denial.principalArn} is not authorized to perform: ${action} on resource: ${shown.resource ?? denial.resource} ${why}`;
}
