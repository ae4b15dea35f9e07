/**
 * The Distributed Map benchmark, on the Step Functions emulator alone (virtual clock, official SDK client):
 * one parent execution whose Map Run has N Standard children, 1 % of them failing once. The failures
 * exceed the tolerated count with the last child, so the Map Run fails with every child run once; one
 * RedriveExecution of the parent then reruns exactly the failed children. Measures both runs' wall time,
 * how many children ran again, and the heap, to show the Map Run stays linear in its children.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { VirtualClock } from '../local/clock';
import { SfnEmulator } from '../local/sfn';

export interface DistributedMapFigures {
  items: number;
  failingChildren: number;
  firstRunSeconds: number;
  redriveSeconds: number;
  /** Children redriven by the Map Run (ListExecutions by mapRunArn, redriveFilter REDRIVEN). */
  childrenRerun: number;
  /** Task invocations in all: items plus the reruns. */
  taskInvocations: number;
  parentStatus: string;
  mapRunRedriveCount: number;
  heapUsedMb: number;
}

const ROLE_ARN = 'arn:aws:iam::123456789012:role/bench';

export async function runDistributedMapBench(items: number, failingShare: number): Promise<DistributedMapFigures> {
  const every = Math.round(1 / failingShare);
  // The last item of every `every` fails once, so the last failure is the last child's.
  const failsOnce = new Set(Array.from({ length: Math.floor(items / every) }, (_, i) => (i + 1) * every - 1));
  let taskInvocations = 0;
  const clock = new VirtualClock({ startMs: Date.UTC(2026, 0, 1) });
  const emulator = new SfnEmulator({
    clock,
    taskHandlers: {
      Ship: async (item) => {
        taskInvocations++;
        if (failsOnce.delete(item as number)) throw Object.assign(new Error('carrier timeout'), { name: 'Carrier.Timeout' });
        return { shipped: item };
      },
    },
  });
  const sfn = new SFNClient({ endpoint: await emulator.start(0), region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 1 });
  try {
    const failingChildren = failsOnce.size;
    const definition = {
      StartAt: 'ShipAll',
      States: {
        ShipAll: {
          Type: 'Map',
          ItemsPath: '$.items',
          Label: 'Parcels',
          ToleratedFailureCount: failingChildren - 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Ship',
            States: { Ship: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:ship', End: true } },
          },
          ResultSelector: { 'shipped.$': 'States.ArrayLength($)' },
          End: true,
        },
      },
    };
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'bench-distributed-map', roleArn: ROLE_ARN, definition: JSON.stringify(definition) }));
    const input = JSON.stringify({ items: Array.from({ length: items }, (_, i) => i) });
    let startedAt = performance.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input }));
    await emulator.waitForIdle();
    const firstRunSeconds = (performance.now() - startedAt) / 1000;
    startedAt = performance.now();
    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    await emulator.waitForIdle();
    const redriveSeconds = (performance.now() - startedAt) / 1000;
    const mapRunArn = (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns![0].mapRunArn!;
    let childrenRerun = 0;
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ mapRunArn, redriveFilter: 'REDRIVEN', maxResults: 1000, nextToken }));
      childrenRerun += page.executions!.length;
      nextToken = page.nextToken;
    } while (nextToken);
    return {
      items,
      failingChildren,
      firstRunSeconds,
      redriveSeconds,
      childrenRerun,
      taskInvocations,
      parentStatus: (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status!,
      mapRunRedriveCount: (await sfn.send(new DescribeMapRunCommand({ mapRunArn }))).redriveCount!,
      heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
    };
  } finally {
    sfn.destroy();
    await emulator.stop();
  }
}
