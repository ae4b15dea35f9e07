/** The `Work` task handler the Distributed Map tests share: counts calls per item and fails the items it is told to. */
import { GetExecutionHistoryCommand, ListMapRunsCommand } from '@aws-sdk/client-sfn';
import type { TaskHandler, TaskHandlerContext } from '../../../local/sfn';
import { startHarness, type Harness } from './harness';

export interface ItemWork {
  /** Items (by `id`) whose first attempt fails, or every attempt. */
  failFirst: Set<number>;
  failAlways: Set<number>;
  /** Calls per item input (JSON), in first-call order. */
  calls: Map<string, number>;
  /** The most calls in flight at once. */
  mostAtOnce: number;
  handler: TaskHandler;
}

export function itemWork(): ItemWork {
  let running = 0;
  const work: ItemWork = {
    failFirst: new Set(),
    failAlways: new Set(),
    calls: new Map(),
    mostAtOnce: 0,
    handler: async (input: unknown, context: TaskHandlerContext) => {
      const key = JSON.stringify(input);
      work.calls.set(key, (work.calls.get(key) ?? 0) + 1);
      running++;
      work.mostAtOnce = Math.max(work.mostAtOnce, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      const id = (input as { id?: number }).id;
      if (id !== undefined && (work.failAlways.has(id) || (work.failFirst.has(id) && work.calls.get(key) === 1))) {
        throw Object.assign(new Error(`item ${id} failed, attempt ${context.redriveCount}`), { name: 'Item.Transient' });
      }
      return { done: input };
    },
  };
  return work;
}

/** A harness whose `Work` task is a fresh itemWork(). */
export async function startItemWorkHarness(): Promise<{ h: Harness; work: ItemWork }> {
  const work = itemWork();
  return { h: await startHarness({ taskHandlers: { Work: work.handler } }), work };
}

/** An execution's history and its first Map Run's ARN, through the SDK of the harness `current()` gives. */
export function mapRunQueries(current: () => Harness) {
  return {
    history: async (executionArn: string) => (await current().sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!,
    mapRunOf: async (executionArn: string) => (await current().sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns![0].mapRunArn!,
  };
}
