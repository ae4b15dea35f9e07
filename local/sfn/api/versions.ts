/**
 * State machine revisions, versions and aliases: UpdateStateMachine, PublishStateMachineVersion,
 * ListStateMachineVersions, DeleteStateMachineVersion and the five alias operations, as the Step
 * Functions API reference describes them
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_PublishStateMachineVersion.html,
 * API_CreateStateMachineAlias.html, API_UpdateStateMachine.html). An execution keeps the revision it
 * started with (ExecutionRecord.revision), so updates never change a running or redriven execution.
 */
import { randomUUID } from 'node:crypto';
import { validateDefinition } from '../asl/validate';
import type { EmulatorContext } from '../context';
import { apiErrors, SfnApiError } from '../errors';
import { currentRevision, type AliasRecord, type RoutingEntry, type StateMachineRecord, type VersionRecord } from '../store';
import { resolveStateMachine } from './lookup';
import { MAX_DEFINITION_BYTES, optionalBoolean, optionalString, pageSize, requiredString, ROLE_ARN, type ApiRequest } from './request';
import { epochSeconds } from './views';

/** Quotas from the API reference: 1,000 versions and 100 aliases per state machine. */
const MAX_VERSIONS = 1000;
const MAX_ALIASES = 100;
/** Alias names: 1-80 characters, at least one of them not a digit (so an alias never reads as a version). */
const ALIAS_NAME = /^(?=.*[a-zA-Z_.-])[a-zA-Z0-9_.-]{1,80}$/;

const conflict = (message: string) => new SfnApiError('ConflictException', message, 409);

/** A plain state machine ARN: versions and aliases are refused where the operation takes the machine itself. */
function unqualifiedStateMachine(ctx: EmulatorContext, arn: string): StateMachineRecord {
  const target = resolveStateMachine(ctx, arn);
  if (target.version || target.alias) throw apiErrors.invalidArn(arn);
  if (target.stateMachine.status === 'DELETING') {
    throw new SfnApiError('StateMachineDeleting', `State machine is being deleted: '${target.stateMachine.arn}'`);
  }
  return target.stateMachine;
}

export function updateStateMachine(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = unqualifiedStateMachine(ctx, requiredString(request, 'stateMachineArn'));
  const definitionJson = optionalString(request, 'definition', MAX_DEFINITION_BYTES);
  const roleArn = optionalString(request, 'roleArn', 256);
  const publish = optionalBoolean(request, 'publish') ?? false;
  const versionDescription = optionalString(request, 'versionDescription', 256);
  if (definitionJson === undefined && roleArn === undefined && request.loggingConfiguration == null && request.tracingConfiguration == null) {
    throw new SfnApiError('MissingRequiredParameter', 'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified');
  }
  if (versionDescription !== undefined && !publish) throw apiErrors.validation('Version description can only be set when publish is true');
  if (roleArn !== undefined && !ROLE_ARN.test(roleArn)) throw apiErrors.invalidArn(roleArn, 'Invalid role ARN');
  const definition = definitionJson === undefined ? undefined : validateDefinition(definitionJson);
  const changed = (definitionJson !== undefined && definitionJson !== stateMachine.definitionJson) || (roleArn !== undefined && roleArn !== stateMachine.roleArn);
  if (changed) {
    if (definitionJson !== undefined && definition) {
      stateMachine.definitionJson = definitionJson;
      stateMachine.definition = definition;
    }
    if (roleArn !== undefined) stateMachine.roleArn = roleArn;
    stateMachine.revisionId = randomUUID();
  }
  const version = publish ? publishCurrentRevision(ctx, stateMachine, versionDescription) : undefined;
  return {
    updateDate: epochSeconds(ctx.clock.nowMs()),
    ...(stateMachine.revisionId !== undefined && { revisionId: stateMachine.revisionId }),
    ...(version && { stateMachineVersionArn: version.arn }),
  };
}

export function publishStateMachineVersion(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = unqualifiedStateMachine(ctx, requiredString(request, 'stateMachineArn'));
  const revisionId = optionalString(request, 'revisionId', 256);
  const description = optionalString(request, 'description', 256);
  // "INITIAL" names the revision CreateStateMachine made, before any update.
  if (revisionId !== undefined && revisionId !== (stateMachine.revisionId ?? 'INITIAL')) {
    throw conflict(`Failed to publish the State Machine version for revision ${revisionId}. The current State Machine revision is ${stateMachine.revisionId ?? 'INITIAL'}.`);
  }
  const version = publishCurrentRevision(ctx, stateMachine, description);
  return { creationDate: epochSeconds(version.creationDateMs), stateMachineVersionArn: version.arn };
}

/** Publishing is idempotent per revision: the current revision's existing version is returned. */
export function publishCurrentRevision(ctx: EmulatorContext, stateMachine: StateMachineRecord, description?: string): VersionRecord {
  const existing = [...stateMachine.versions.values()].find((v) => v.revisionId === stateMachine.revisionId);
  if (existing) return existing;
  if (stateMachine.versions.size >= MAX_VERSIONS) {
    throw new SfnApiError('ServiceQuotaExceededException', `The maximum number of versions (${MAX_VERSIONS}) for state machine '${stateMachine.arn}' has been reached`);
  }
  const number = ++stateMachine.lastVersionNumber;
  const version: VersionRecord = { ...currentRevision(stateMachine), arn: `${stateMachine.arn}:${number}`, number, description, creationDateMs: ctx.clock.nowMs() };
  stateMachine.versions.set(number, version);
  return version;
}

export function listStateMachineVersions(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = unqualifiedStateMachine(ctx, requiredString(request, 'stateMachineArn'));
  const newestFirst = [...stateMachine.versions.values()].sort((a, b) => b.number - a.number);
  return page(ctx, request, 'ListStateMachineVersions', stateMachine.arn, newestFirst, 'stateMachineVersions', (v) => ({
    stateMachineVersionArn: v.arn,
    creationDate: epochSeconds(v.creationDateMs),
  }));
}

/** Deleting a missing version succeeds; a version an alias routes to cannot be deleted. Running executions go on. */
export function deleteStateMachineVersion(ctx: EmulatorContext, request: ApiRequest): unknown {
  const arn = requiredString(request, 'stateMachineVersionArn', 2000);
  const target = resolveOrGone(ctx, arn);
  if (target === undefined) return {};
  if (!target.version) throw apiErrors.invalidArn(arn);
  const referencing = [...target.stateMachine.aliases.values()].filter((a) => a.routing.some((r) => r.stateMachineVersionArn === arn));
  if (referencing.length > 0) {
    throw conflict(`Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [${referencing.map((a) => a.name).join(', ')}]`);
  }
  target.stateMachine.versions.delete(target.version.number);
  return {};
}

export function createStateMachineAlias(ctx: EmulatorContext, request: ApiRequest): unknown {
  const name = requiredString(request, 'name', 80);
  const description = optionalString(request, 'description', 256);
  if (!ALIAS_NAME.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
  const routing = routingConfiguration(ctx, request);
  const stateMachine = resolveStateMachine(ctx, routing[0].stateMachineVersionArn).stateMachine;
  const existing = stateMachine.aliases.get(name);
  if (existing) {
    // Same name, description and routing is idempotent, as in AWS.
    if (existing.description === description && sameRouting(existing.routing, routing)) {
      return { stateMachineAliasArn: existing.arn, creationDate: epochSeconds(existing.creationDateMs) };
    }
    throw conflict(`Alias '${name}' already exists with a different configuration`);
  }
  if (stateMachine.aliases.size >= MAX_ALIASES) {
    throw new SfnApiError('ServiceQuotaExceededException', `The maximum number of aliases (${MAX_ALIASES}) for state machine '${stateMachine.arn}' has been reached`);
  }
  const nowMs = ctx.clock.nowMs();
  const alias: AliasRecord = { arn: `${stateMachine.arn}:${name}`, name, description, routing, creationDateMs: nowMs, updateDateMs: nowMs, credits: routing.map(() => 0) };
  stateMachine.aliases.set(name, alias);
  return { stateMachineAliasArn: alias.arn, creationDate: epochSeconds(nowMs) };
}

export function describeStateMachineAlias(ctx: EmulatorContext, request: ApiRequest): unknown {
  const alias = findAlias(ctx, requiredString(request, 'stateMachineAliasArn'));
  return {
    stateMachineAliasArn: alias.arn,
    name: alias.name,
    description: alias.description,
    routingConfiguration: alias.routing,
    creationDate: epochSeconds(alias.creationDateMs),
    updateDate: epochSeconds(alias.updateDateMs),
  };
}

export function updateStateMachineAlias(ctx: EmulatorContext, request: ApiRequest): unknown {
  const alias = findAlias(ctx, requiredString(request, 'stateMachineAliasArn'));
  const description = optionalString(request, 'description', 256);
  if (description === undefined && request.routingConfiguration == null) {
    throw apiErrors.validation('Either the description or the RoutingConfiguration must be specified');
  }
  if (request.routingConfiguration != null) {
    const routing = routingConfiguration(ctx, request);
    if (resolveStateMachine(ctx, routing[0].stateMachineVersionArn).stateMachine.arn !== alias.arn.slice(0, alias.arn.lastIndexOf(':'))) {
      throw apiErrors.validation('The routing configuration must name versions of the alias\'s own state machine');
    }
    if (!sameRouting(alias.routing, routing)) alias.credits = routing.map(() => 0);
    alias.routing = routing;
  }
  if (description !== undefined) alias.description = description;
  alias.updateDateMs = ctx.clock.nowMs();
  return { updateDate: epochSeconds(alias.updateDateMs) };
}

/** Deleting a missing alias succeeds; its versions stay. */
export function deleteStateMachineAlias(ctx: EmulatorContext, request: ApiRequest): unknown {
  const arn = requiredString(request, 'stateMachineAliasArn');
  const target = resolveOrGone(ctx, arn);
  if (target === undefined) return {};
  if (!target.alias) throw apiErrors.invalidArn(arn);
  target.stateMachine.aliases.delete(target.alias.name);
  return {};
}

export function listStateMachineAliases(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = unqualifiedStateMachine(ctx, requiredString(request, 'stateMachineArn'));
  const aliases = [...stateMachine.aliases.values()].sort((a, b) => a.creationDateMs - b.creationDateMs || a.name.localeCompare(b.name));
  return page(ctx, request, 'ListStateMachineAliases', stateMachine.arn, aliases, 'stateMachineAliases', (a) => ({
    stateMachineAliasArn: a.arn,
    creationDate: epochSeconds(a.creationDateMs),
  }));
}

/**
 * The version an alias starts this execution on. AWS picks at random by weight; here smooth weighted
 * round-robin (as nginx balances upstreams) gives each version exactly its share of every 100 starts,
 * so tests and scenarios are reproducible.
 */
export function routeThroughAlias(stateMachine: StateMachineRecord, alias: AliasRecord): VersionRecord {
  alias.routing.forEach((entry, i) => (alias.credits[i] += entry.weight));
  const chosen = alias.credits.indexOf(Math.max(...alias.credits));
  alias.credits[chosen] -= 100;
  const number = Number(alias.routing[chosen].stateMachineVersionArn.split(':').pop());
  // An alias never routes to a missing version: DeleteStateMachineVersion refuses referenced versions.
  return stateMachine.versions.get(number)!;
}

function findAlias(ctx: EmulatorContext, arn: string): AliasRecord {
  const target = resolveOrGone(ctx, arn);
  if (target === undefined) throw apiErrors.resourceNotFound(arn);
  if (!target.alias) throw apiErrors.invalidArn(arn);
  return target.alias;
}

/** The target, or undefined when its state machine, version or alias does not exist. */
function resolveOrGone(ctx: EmulatorContext, arn: string): ReturnType<typeof resolveStateMachine> | undefined {
  try {
    return resolveStateMachine(ctx, arn);
  } catch (error) {
    if ((error as SfnApiError).code === 'StateMachineDoesNotExist') return undefined;
    throw error;
  }
}

/** One or two versions of one state machine, weights 0-100 summing to 100. */
function routingConfiguration(ctx: EmulatorContext, request: ApiRequest): RoutingEntry[] {
  const raw = request.routingConfiguration;
  if (raw === undefined || raw === null) throw apiErrors.missingMember('routingConfiguration');
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > 2) {
    throw apiErrors.validation(`1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length between 1 and 2`);
  }
  const routing = raw.map((entry: { stateMachineVersionArn?: unknown; weight?: unknown }): RoutingEntry => {
    const versionArn = requiredString(entry as ApiRequest, 'stateMachineVersionArn', 2000);
    const weight = entry.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw apiErrors.validation(`1 validation error detected: Value '${String(weight)}' at 'routingConfiguration.member.weight' failed to satisfy constraint: Member must have value between 0 and 100`);
    }
    let target;
    try {
      target = resolveStateMachine(ctx, versionArn);
    } catch (error) {
      if ((error as SfnApiError).code === 'StateMachineDoesNotExist') throw apiErrors.resourceNotFound(versionArn);
      throw error;
    }
    if (!target.version) throw apiErrors.invalidArn(versionArn);
    return { stateMachineVersionArn: versionArn, weight };
  });
  const machines = new Set(routing.map((r) => r.stateMachineVersionArn.slice(0, r.stateMachineVersionArn.lastIndexOf(':'))));
  if (machines.size > 1) throw apiErrors.validation('Routing configuration must contain versions of the same state machine');
  if (routing.length === 2 && routing[0].stateMachineVersionArn === routing[1].stateMachineVersionArn) {
    throw apiErrors.validation('Routing configuration must contain distinct state machine versions');
  }
  if (routing.reduce((sum, r) => sum + r.weight, 0) !== 100) throw apiErrors.validation('Sum of routing configuration weights must be equal to 100');
  return routing;
}

function sameRouting(a: RoutingEntry[], b: RoutingEntry[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function page<T>(ctx: EmulatorContext, request: ApiRequest, operation: string, scopeArn: string, items: T[], member: string, view: (item: T) => unknown): unknown {
  const limit = pageSize(request);
  const scope = `${operation} ${scopeArn}`;
  const start = typeof request.nextToken === 'string' ? ctx.pageTokens.read<number>(request.nextToken, scope) : 0;
  return {
    [member]: items.slice(start, start + limit).map(view),
    ...(start + limit < items.length && { nextToken: ctx.pageTokens.issue(scope, start + limit) }),
  };
}
