/**
 * Test-only wrappers around the stack's SDK clients (the worker shares them), to inject a crash at an
 * exact point: after Step Functions accepted a redrive, before the ledger recorded it.
 */
import { RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../../../adapters/clients';

type Send = (command: unknown) => Promise<unknown>;

function wrapSend(client: object, around: (command: unknown, send: Send) => Promise<unknown>): void {
  const target = client as { send: Send };
  const original = target.send.bind(target);
  target.send = (command) => around(command, original);
}

/** Calls `onRedriven(executionArn)` after each RedriveExecution that Step Functions accepted. */
export function onSuccessfulRedrive(clients: AwsClients, onRedriven: (executionArn: string) => void): void {
  wrapSend(clients.sfn, async (command, send) => {
    const result = await send(command);
    if (command instanceof RedriveExecutionCommand) onRedriven(command.input.executionArn!);
    return result;
  });
}

/**
 * The worker "dies" once per execution between a successful RedriveExecution and the ledger write that
 * records it: that write throws, so the record fails and SQS delivers it again after the visibility
 * timeout. Returns how many crashes were injected.
 */
export function crashBeforeRecordingRedrive(clients: AwsClients): { crashes: () => number } {
  const redrivenNotRecorded = new Set<string>();
  const crashed = new Set<string>();
  onSuccessfulRedrive(clients, (executionArn) => {
    if (!crashed.has(executionArn)) redrivenNotRecorded.add(executionArn);
  });
  wrapSend(clients.dynamo, async (command, send) => {
    if (command instanceof UpdateCommand) {
      const executionArn = String(command.input.Key?.executionArn);
      if (command.input.ExpressionAttributeValues?.[':phase'] === 'REDRIVEN' && redrivenNotRecorded.delete(executionArn)) {
        crashed.add(executionArn);
        throw new Error('injected crash: the worker died before recording the redrive');
      }
    }
    return send(command);
  });
  return { crashes: () => crashed.size };
}
