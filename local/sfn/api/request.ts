/** Reading and checking request members the way the service does (ValidationException on bad shapes). */
import { isValidStepFunctionsName } from '../../../core/names';
import { apiErrors, SfnApiError } from '../errors';

export type ApiRequest = Record<string, unknown>;

export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
/** A definition's largest size (1 MB), for CreateStateMachine and UpdateStateMachine. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

export function requiredString(request: ApiRequest, member: string, maxLength = 256): string {
  const value = request[member];
  if (value === undefined || value === null) throw apiErrors.missingMember(member);
  return checkString(value, member, maxLength);
}

export function optionalString(request: ApiRequest, member: string, maxLength: number): string | undefined {
  const value = request[member];
  return value === undefined || value === null ? undefined : checkString(value, member, maxLength);
}

function checkString(value: unknown, member: string, maxLength: number): string {
  if (typeof value !== 'string') throw apiErrors.validation(`Value at '${member}' must be a string`);
  if (value.length > maxLength) {
    throw apiErrors.validation(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${maxLength}`,
    );
  }
  return value;
}

export function optionalBoolean(request: ApiRequest, member: string): boolean | undefined {
  const value = request[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw apiErrors.validation(`Value at '${member}' must be a boolean`);
  return value;
}

export function optionalEnum<T extends string>(request: ApiRequest, member: string, allowed: readonly T[]): T | undefined {
  const value = request[member];
  if (value === undefined || value === null) return undefined;
  if (!allowed.includes(value as T)) {
    throw apiErrors.validation(
      `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
    );
  }
  return value as T;
}

/** maxResults: 0..1000, where 0 or absent means the default of 100. */
export function pageSize(request: ApiRequest): number {
  const value = request.maxResults;
  if (value === undefined || value === null) return 100;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
    throw apiErrors.validation(
      `1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000`,
    );
  }
  return value === 0 ? 100 : value;
}

/** A state machine or execution name AWS accepts (core/names.ts), or InvalidName. */
export function checkName(name: string): void {
  if (!isValidStepFunctionsName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
}
