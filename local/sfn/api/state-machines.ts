/** CreateStateMachine, DescribeStateMachine, ListStateMachines, DeleteStateMachine and tagging. */
import { validateDefinition } from '../asl/validate';
import type { EmulatorContext } from '../context';
import { apiErrors, SfnApiError } from '../errors';
import type { StateMachineRecord, StateMachineType } from '../store';
import { checkName, MAX_DEFINITION_BYTES, optionalBoolean, optionalEnum, optionalString, pageSize, requiredString, ROLE_ARN, type ApiRequest } from './request';
import { publishCurrentRevision } from './versions';
import { lookupTaggable, resolveStateMachine, stateMachineArnFor } from './lookup';
import { epochSeconds, stateMachineListItemView } from './views';


export function createStateMachine(ctx: EmulatorContext, request: ApiRequest): unknown {
  const name = requiredString(request, 'name', 80);
  const definitionJson = requiredString(request, 'definition', MAX_DEFINITION_BYTES);
  const roleArn = requiredString(request, 'roleArn');
  const type: StateMachineType = optionalEnum(request, 'type', ['STANDARD', 'EXPRESS'] as const) ?? 'STANDARD';
  const publish = optionalBoolean(request, 'publish') ?? false;
  checkName(name);
  if (!ROLE_ARN.test(roleArn)) throw apiErrors.invalidArn(roleArn, 'Invalid role ARN');
  const definition = validateDefinition(definitionJson);
  const arn = stateMachineArnFor(ctx, name);
  const existing = ctx.store.stateMachines.get(arn);
  if (existing) {
    if (existing.status === 'DELETING') throw new SfnApiError('StateMachineDeleting', `State machine is being deleted: '${arn}'`);
    // Same name and same configuration is idempotent, as in AWS.
    if (existing.definitionJson !== definitionJson || existing.roleArn !== roleArn || existing.type !== type) {
      throw new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    return { stateMachineArn: arn, creationDate: epochSeconds(existing.creationDateMs) };
  }
  const record: StateMachineRecord = {
    arn,
    name,
    type,
    definitionJson,
    definition,
    roleArn,
    creationDateMs: ctx.clock.nowMs(),
    status: 'ACTIVE',
    tags: new Map(readTags(request.tags).map(({ key, value }) => [key, value])),
    versions: new Map(),
    lastVersionNumber: 0,
    aliases: new Map(),
    openExecutions: 0,
  };
  ctx.store.stateMachines.set(arn, record);
  const version = publish ? publishCurrentRevision(ctx, record, optionalString(request, 'versionDescription', 256)) : undefined;
  return {
    stateMachineArn: arn,
    creationDate: epochSeconds(record.creationDateMs),
    ...(version && { stateMachineVersionArn: version.arn }),
  };
}

/** A version ARN describes that version (its definition, role, revision and description); an alias ARN is refused. */
export function describeStateMachine(ctx: EmulatorContext, request: ApiRequest): unknown {
  const arn = requiredString(request, 'stateMachineArn');
  const { stateMachine, version, alias } = resolveStateMachine(ctx, arn);
  if (alias) throw apiErrors.invalidArn(arn);
  const revision = version ?? stateMachine;
  return {
    stateMachineArn: version?.arn ?? stateMachine.arn,
    name: stateMachine.name,
    status: stateMachine.status,
    definition: revision.definitionJson,
    roleArn: revision.roleArn,
    type: stateMachine.type,
    creationDate: epochSeconds(version?.creationDateMs ?? stateMachine.creationDateMs),
    ...(revision.revisionId !== undefined && { revisionId: revision.revisionId }),
    ...(version?.description !== undefined && { description: version.description }),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

export function listStateMachines(ctx: EmulatorContext, request: ApiRequest): unknown {
  const limit = pageSize(request);
  const all = [...ctx.store.stateMachines.values()];
  const start = typeof request.nextToken === 'string' ? ctx.pageTokens.read<number>(request.nextToken, 'ListStateMachines') : 0;
  const page = all.slice(start, start + limit);
  return {
    stateMachines: page.map(stateMachineListItemView),
    ...(start + limit < all.length && { nextToken: ctx.pageTokens.issue('ListStateMachines', start + limit) }),
  };
}

/** With open executions the machine stays DELETING until the last one closes (see EmulatorStore.markClosed). */
export function deleteStateMachine(ctx: EmulatorContext, request: ApiRequest): unknown {
  const arn = requiredString(request, 'stateMachineArn');
  let stateMachine: StateMachineRecord;
  try {
    ({ stateMachine } = resolveStateMachine(ctx, arn));
  } catch (error) {
    // Deleting a machine that is already gone succeeds, as the call is idempotent.
    if ((error as SfnApiError).code === 'StateMachineDoesNotExist') return {};
    throw error;
  }
  if (stateMachine.openExecutions > 0) stateMachine.status = 'DELETING';
  else ctx.store.stateMachines.delete(stateMachine.arn);
  return {};
}

export function tagResource(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = lookupTaggable(ctx, requiredString(request, 'resourceArn'));
  const tags = readTags(request.tags);
  const merged = new Map(stateMachine.tags);
  for (const { key, value } of tags) merged.set(key, value);
  if (merged.size > 50) throw new SfnApiError('TooManyTags', `Too many tags: a resource can have at most 50`);
  stateMachine.tags = merged;
  return {};
}

export function untagResource(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = lookupTaggable(ctx, requiredString(request, 'resourceArn'));
  if (!Array.isArray(request.tagKeys)) throw apiErrors.missingMember('tagKeys');
  for (const key of request.tagKeys) stateMachine.tags.delete(String(key));
  return {};
}

export function listTagsForResource(ctx: EmulatorContext, request: ApiRequest): unknown {
  const stateMachine = lookupTaggable(ctx, requiredString(request, 'resourceArn'));
  return { tags: [...stateMachine.tags].map(([key, value]) => ({ key, value })) };
}

function readTags(tags: unknown): Array<{ key: string; value: string }> {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags)) throw apiErrors.validation(`Value at 'tags' must be a list`);
  return tags.map((tag: { key?: unknown; value?: unknown }) => {
    if (typeof tag?.key !== 'string' || tag.key.length === 0 || tag.key.length > 128) {
      throw apiErrors.validation(`Tag keys must be 1-128 characters`);
    }
    return { key: tag.key, value: typeof tag.value === 'string' ? tag.value : '' };
  });
}
