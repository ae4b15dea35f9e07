/**
 * Step Functions' payload quota: an execution's input, a state's input or output and a task's result
 * may each be 256 KiB of UTF-8 (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 * Over it, StartExecution answers InvalidExecutionInput and a running state fails with the terminal
 * States.DataLimitExceeded (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
export const MAX_PAYLOAD_BYTES = 262_144;

export function exceedsPayloadQuota(json: string): boolean {
  return Buffer.byteLength(json, 'utf8') > MAX_PAYLOAD_BYTES;
}
