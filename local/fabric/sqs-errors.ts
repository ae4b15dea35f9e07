/**
 * SQS errors as the service reports them. `name` is what SDK v3 callers see (`error.name`);
 * `wireType` and `queryErrorCode` are what the JSON protocol puts on the wire (`__type` and the
 * `x-amzn-query-error` header, which the SDK maps back to modeled exceptions).
 */
export class SqsError extends Error {
  constructor(
    readonly name: string,
    message: string,
    readonly wireType: string,
    readonly queryErrorCode: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

const modeled = (name: string, message: string, queryErrorCode: string, httpStatus = 400) =>
  new SqsError(name, message, `com.amazonaws.sqs#${name}`, queryErrorCode, httpStatus);

/** Unmodeled in the SDK: it surfaces under the query error code. */
export const invalidParameterValue = (message: string) =>
  new SqsError('InvalidParameterValue', message, 'com.amazon.coral.service#InvalidParameterValueException', 'InvalidParameterValue');

export const outOfRange = (parameter: string, value: number, minimum: number, maximum: number) =>
  invalidParameterValue(
    `Value ${value} for parameter ${parameter} is invalid. Reason: Must be between ${minimum} and ${maximum}, if provided.`,
  );

export const messageTooLong = (maximumBytes: number) =>
  invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${maximumBytes} bytes.`);

export const queueDoesNotExist = () =>
  modeled('QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue');

export const receiptHandleIsInvalid = (receiptHandle: string) =>
  modeled(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
    'ReceiptHandleIsInvalid',
    404,
  );

export const messageNotInflight = () =>
  modeled('MessageNotInflight', 'The message referred to is not in flight.', 'AWS.SimpleQueueService.MessageNotInflight');

export const purgeQueueInProgress = (queueName: string) =>
  modeled(
    'PurgeQueueInProgress',
    `Only one PurgeQueue operation on ${queueName} is allowed every 60 seconds.`,
    'AWS.SimpleQueueService.PurgeQueueInProgress',
    403,
  );

export const emptyBatchRequest = () =>
  modeled('EmptyBatchRequest', 'There should be at least one entry in the request.', 'AWS.SimpleQueueService.EmptyBatchRequest');

export const tooManyEntriesInBatchRequest = (count: number) =>
  modeled(
    'TooManyEntriesInBatchRequest',
    `Maximum number of entries per request are 10. You have sent ${count}.`,
    'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  );

export const batchEntryIdsNotDistinct = (id: string) =>
  modeled('BatchEntryIdsNotDistinct', `Id ${id} repeated.`, 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct');

export const queueNameExists = (queueName: string) =>
  modeled('QueueNameExists', `A queue already exists with the same name (${queueName}) and a different value for an attribute.`, 'QueueAlreadyExists');

export const unsupportedOperation = (operation: string) =>
  modeled('UnsupportedOperation', `${operation} is not supported by the local stack.`, 'AWS.SimpleQueueService.UnsupportedOperation');
