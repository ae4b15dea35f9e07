import { LocalApiError } from '../api-error';

/**
 * API errors as the Step Functions JSON 1.0 protocol returns them: an error code (`__type`), a message
 * and an HTTP status (400 for client errors, 5xx for service faults).
 */
export class SfnApiError extends LocalApiError {}

export const apiErrors = {
  validation: (message: string) => new SfnApiError('ValidationException', message),
  missingMember: (member: string) =>
    new SfnApiError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    ),
  invalidArn: (arn: string, why = 'Resource type not valid in this context') =>
    new SfnApiError('InvalidArn', `Invalid Arn: '${why}: ${arn}'`),
  stateMachineDoesNotExist: (arn: string) =>
    new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`),
  executionDoesNotExist: (arn: string) =>
    new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`),
  invalidToken: (why: string) => new SfnApiError('InvalidToken', `Invalid Token: '${why}'`),
  resourceNotFound: (arn: string) => new SfnApiError('ResourceNotFound', `Resource not found: '${arn}'`),
};
