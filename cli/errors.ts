/**
 * Exit codes and the translation of AWS errors into messages an operator can act on.
 */
import type { MiddlewareStack } from '@aws-sdk/types';
import { InvalidArnError } from '../core/arn';
import { ConfigError } from '../core/config';

/** 3: a service could not be reached or answered like something else (wrong endpoint): nothing (more) was done. */
export const EXIT = { ok: 0, partial: 1, usage: 2, unreachable: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error with a message meant for the operator and the exit code it ends the command with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const NON_STATES_SERVICES: Record<string, string> = {
  GetItem: 'dynamodb',
  BatchGetItem: 'dynamodb',
  Query: 'dynamodb',
  UpdateItem: 'dynamodb',
  SendMessage: 'sqs',
  Publish: 'sns',
  GetCallerIdentity: 'sts',
};

/** The IAM action behind an SDK command, e.g. RedriveExecutionCommand → states:RedriveExecution. */
export function iamActionFor(commandName: string | undefined): string {
  if (!commandName) return 'the action named in the message';
  const api = commandName.replace(/Command$/, '');
  return `${NON_STATES_SERVICES[api] ?? 'states'}:${api}`;
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Maps an error to the operator's message and exit code. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  // The AWS error does not say which call it answered; tagFailingCommand recorded it.
  const commandName = failingCommandOf(error);
  if (error instanceof InvalidArnError) return new CliError(error.message);
  if (error instanceof ConfigError) return new CliError(error.message);
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') return new CliError(`Port in use: ${(error as Error).message}`);
  const offline = unreachable(error);
  if (offline) return offline;
  const e = error as AwsErrorShape;
  switch (e?.name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
    // SNS's refusal (Query protocol code AuthorizationError).
    case 'AuthorizationErrorException':
    case 'UnauthorizedOperation':
      return new CliError(`Missing permission: your credentials may not call ${iamActionFor(commandName)} (${e.message ?? 'access denied'}). Add that action to your IAM policy, or use another --profile.`);
    case 'StateMachineDoesNotExist':
      return new CliError(`Unknown state machine: ${e.message ?? ''} Check the ARN and --region.`);
    case 'StateMachineTypeNotSupported':
      return new CliError('That state machine is EXPRESS: Step Functions cannot redrive Express executions, and ListExecutions does not list them.');
    case 'ExecutionDoesNotExist':
      return new CliError(`Unknown execution: ${e.message ?? ''} Check the ARN and --region.`);
    case 'InvalidArn':
      return new CliError(`Malformed ARN: ${e.message ?? ''}`);
    case 'InvalidToken':
      return new CliError(
        `The page token expired or is invalid (Step Functions page tokens live 24 hours): ${e.message ?? ''} Run the command again; the ledger makes a rerun safe.`,
        EXIT.partial,
      );
    case 'ResourceNotFoundException':
      return new CliError(`Not found: ${e.message ?? ''} Check --table (the ledger table name) and --region.`);
    case 'CredentialsProviderError':
      return new CliError(`No AWS credentials: ${e.message ?? ''} Use --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID.`);
    default: {
      const where = commandName ? ` (${commandName.replace(/Command$/, '')})` : '';
      return new CliError(`${e?.name ?? 'Error'}${where}: ${e?.message ?? String(error)}`, EXIT.partial);
    }
  }
}

/** What a failing SDK call was: recorded on its error by `tagFailingCommand`. */
interface CallTag {
  commandName?: string;
  /** The service as operators know it, e.g. "Step Functions". */
  service?: string;
  /** Where the request went: scheme, host and port. */
  endpoint?: string;
}

const SERVICES: Array<[RegExp, string, string]> = [
  [/^SFN/, 'Step Functions', '--endpoint-url (or AWS_ENDPOINT_URL_SFN)'],
  [/^DynamoDB/, 'DynamoDB', '--dynamodb-endpoint-url (or AWS_ENDPOINT_URL_DYNAMODB)'],
  [/^SQS/, 'SQS', '--sqs-endpoint-url (or AWS_ENDPOINT_URL_SQS)'],
  [/^SNS/, 'SNS', '--sns-endpoint-url (or AWS_ENDPOINT_URL_SNS)'],
  [/^STS/, 'STS', 'AWS_ENDPOINT_URL_STS'],
];

const ENDPOINT_KEY = Symbol('sfnAutoredriveEndpoint');

/**
 * Remembers which SDK command failed, at which service and endpoint, so errors can name the IAM action,
 * or the endpoint that could not be reached. Any client's stack will do.
 */
export function tagFailingCommand(client: { middlewareStack: MiddlewareStack<any, any> }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error && typeof error === 'object' && !('commandName' in error)) {
          const service = SERVICES.find(([pattern]) => pattern.test(context.clientName ?? ''))?.[1];
          const tag: CallTag = { commandName: context.commandName, service, endpoint: (context as Record<symbol, string | undefined>)[ENDPOINT_KEY] };
          Object.assign(error, tag);
        }
        throw error;
      }
    },
    { step: 'initialize', priority: 'high', name: 'sfnAutoredriveTagCommand' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = (args as { request?: { protocol?: string; hostname?: string; port?: number } }).request;
      if (request?.hostname) (context as Record<symbol, string>)[ENDPOINT_KEY] = `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'high', name: 'sfnAutoredriveTagEndpoint' },
  );
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * A call that never reached the service, or reached something that does not speak its protocol (a wrong
 * endpoint answering HTML): the service and endpoint named, and the flag that sets it.
 */
function unreachable(error: unknown): CliError | undefined {
  const e = error as { name?: string; code?: string; message?: string; $response?: { statusCode?: number }; $metadata?: { httpStatusCode?: number } } & CallTag;
  // Where the error crossed a realm (e.g. a test VM) the SDK wraps it, and only the message keeps the code.
  const code = e?.code ?? [...NETWORK_CODES].find((candidate) => new RegExp(`\\b${candidate}\\b`).test(e?.message ?? ''));
  const network = NETWORK_CODES.has(code ?? '') || e?.name === 'TimeoutError';
  const notTheService = e?.name === 'SyntaxError' || /Deserialization error/.test(e?.message ?? '') || e?.name === 'UnknownError' || e?.name === 'Unknown';
  if (!network && !notTheService) return undefined;
  const service = e.service ?? 'the service';
  const flag = SERVICES.find(([, name]) => name === e.service)?.[2];
  const where = e.endpoint ? ` at ${e.endpoint}` : '';
  const call = e.commandName ? `${e.commandName.replace(/Command$/, '')}: ` : '';
  const check = flag ? `Check ${flag}, ` : 'Check the endpoint, ';
  if (network) {
    return new CliError(`Could not reach ${service}${where} (${call}${code ?? e.name}). ${check}the network, and that the service is running. Nothing more was done.`, EXIT.unreachable);
  }
  const status = e.$response?.statusCode ?? e.$metadata?.httpStatusCode;
  const firstLine = (e.message ?? '').split('\n')[0].slice(0, 120);
  return new CliError(
    `${service}${where} answered like something else (${call}${status ? `HTTP ${status}, ` : ''}${firstLine}). ${check}is it the ${service} endpoint? Nothing more was done.`,
    EXIT.unreachable,
  );
}

/** The command name `tagFailingCommand` recorded on an error, if any. */
export function failingCommandOf(error: unknown): string | undefined {
  return (error as { commandName?: string } | undefined)?.commandName;
}
