/**
 * The benchmark's own bookkeeping, at toy sizes: `npm run bench` prints figures and no test times it, but
 * what it counts must be right. Two bench bugs shipped unseen before this file: the side-by-side designs'
 * redrives were not timed (negative times), and the live failures' state machine failed again on every
 * redrive (a Fail state is rerun by a redrive), so each cost three redrives, not one.
 */
import { runBulkCli } from '../../bench/bulk-cli';
import { runStorm } from '../../bench/storm';

describe('storm bench bookkeeping', () => {
  it.each(['ours', 'naive', 'checkEverything'] as const)('%s: every redrive is timed and every execution accounted for', async (design) => {
    const figures = await runStorm({ design, executions: 20, permanentShare: 0.1, deliveriesPerEvent: 2, naiveLoopCap: 4 });
    // The time runs from the release to the last accepted redrive, which the bench must have seen.
    expect(figures.wallSeconds).toBeGreaterThan(0);
    expect(figures.outcomes).toMatchObject({ redriven: 18, lost: 0, duplicates: 0 });
    if (design === 'naive') expect(figures.outcomes.loops).toBe(2);
    else expect(figures.outcomes).toMatchObject({ gaveUp: 2, loops: 0 });
  });
});

describe('bulk CLI bench bookkeeping', () => {
  it('each live failure for the worker costs exactly one redrive, and each seeded execution one', async () => {
    const figures = await runBulkCli({ design: 'new', executions: 40, throttling: true, gaveUpShare: 0.25, pipelineSawAll: true, flags: ['--override-max-attempts'], liveFailures: 4 });
    expect(figures).toMatchObject({ redriven: 40, notRedrivenOnce: 0, exitCode: 0 });
    expect(figures.live).toMatchObject({ alone: { count: 4, notRedriven: 0 }, duringBulk: { count: 4, notRedriven: 0 } });
    // 40 by the CLI and 4 by the worker for the live failures that arrived during the run: (40 + 4) / 40.
    expect(figures.callsPerExecution.RedriveExecution).toBe(1.1);
  });
});
