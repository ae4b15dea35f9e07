/**
 * Model-based test of the whole pipeline (issue 8). Random command sequences drive the real local stack
 * (Step Functions emulator, event bus with the deployed pattern, intake queue, worker, sweep, operator
 * CLI, DynamoDB Local) on a virtual clock; after quiescence the model says where every failure
 * generation must be and the auditor checks it. See docs/VERIFICATION.md.
 *
 *   MODEL_RUNS=n          sequences (default 25); `npm run soak -- --runs N` runs many more
 *   MODEL_SEED=s          the seed (default: FIXED_SEED, so `npm test` is the same run every time; `random`:
 *                         a new one, as `npm run soak` does); with MODEL_PATH=p and MODEL_REPLAY_PATH=r (the counterexample's
 *                         `/*replayPath="r"*\/`) it replays one shrunk counterexample
 *   MODEL_MAX_COMMANDS=n  longest sequence (default 16)
 *   MODEL_STRICT=1        fail on open known bugs too (they are tolerated and counted otherwise)
 *   MODEL_TOLERATE=a,b    tolerate exactly these bug tags (known-bugs.ts), fail on every other
 *   MODEL_EXOTIC_NAMES=executions  plain state machine names (0: all names plain; default: dots and
 *                         non-ASCII letters in execution and state machine names)
 *   MODEL_CONSOLE_REDRIVE=0  no console redrives behind the pipeline's back
 *   MODEL_CRASH_POINTS=a,b   only these crash points
 *   MODEL_TIME_LIMIT_S=s  start no new sequence after s seconds (default 45): the rest of numRuns pass untried
 *   MODEL_SHRINK_LIMIT_S=s  stop shrinking s seconds after the first failure (default 120) and report the
 *                         smallest counterexample so far
 */
import fc from 'fast-check';
import { useDynamoDbLocal } from '../support/dynamo';
import { Auditor, Coverage } from './audit';
import { commandArbitraries, judge, type ModelState, type Real } from './commands';
import { PipelineHarness } from './harness';
import { KNOWN_BUGS, STRICT } from './known-bugs';
import { configArbitrary, describeConfig, describePreDeploy, FLAGS, preDeployArbitrary } from './scenario';

const RUNS = Number(process.env.MODEL_RUNS ?? 25);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 16);
const TIME_LIMIT_MS = Number(process.env.MODEL_TIME_LIMIT_S ?? 45) * 1000;
const SHRINK_LIMIT_MS = Number(process.env.MODEL_SHRINK_LIMIT_S ?? 120) * 1000;
/**
 * `npm test` replays the same sequences every run, so CI is not a lottery; new sequences are the soak's
 * job (`npm run soak`, MODEL_SEED=random), and what it finds is fixed and added here as a test.
 */
const FIXED_SEED = -1941966318;
// A random seed is drawn here, not by fast-check, so a soak that passes can say which sequences it ran.
const SEED = process.env.MODEL_SEED === 'random' ? Math.floor(Math.random() * 2 ** 32) - 2 ** 31 : Number(process.env.MODEL_SEED ?? FIXED_SEED);
const PATH = process.env.MODEL_PATH;
const REPLAY_PATH = process.env.MODEL_REPLAY_PATH;

// One DynamoDB Local (a JVM, slow to start) for every sequence; each gets
// a fresh ledger table.
const { ddb } = useDynamoDbLocal();

const toleratedByTag = new Map<string, { count: number; example: string }>();
const coverage = new Coverage();
let sequences = 0;
let commandsRun = 0;
let startedMs = Date.now();

// Printed also when the property fails, so a soak always reports what it ran.
afterAll(() => {
  const tolerated = [...toleratedByTag.entries()].map(([tag, { count, example }]) => `  ${tag} ×${count}: ${KNOWN_BUGS[tag as keyof typeof KNOWN_BUGS]?.title ?? tag}\n     e.g. ${example}`);
  console.log(
    [
      `model: ${sequences} sequence(s), ${commandsRun} command(s) in ${((Date.now() - startedMs) / 1000).toFixed(1)} s, seed ${SEED}` +
        `${STRICT ? ' (strict)' : ''}${FLAGS.exoticMachines ? ' (exotic machine names)' : FLAGS.exoticNames ? '' : ' (plain names)'}${FLAGS.consoleRedrive ? '' : ' (no console redrives)'}`,
      `coverage (over all sequences):\n${coverage.render()}`,
      tolerated.length > 0 ? `open known bugs seen (tolerated; MODEL_STRICT=1 fails on them):\n${tolerated.join('\n')}` : 'no open known bug seen',
    ].join('\n'),
  );
});

it(
  `every failure generation ends in exactly one justified place (${RUNS} generated sequences)`,
  async () => {
    startedMs = Date.now();
    let firstFailureMs: number | undefined;
    const property = fc.asyncProperty(
      configArbitrary,
      preDeployArbitrary,
      fc.commands(commandArbitraries, { maxCommands: MAX_COMMANDS, size: '+1', replayPath: REPLAY_PATH }),
      async (config, preDeploy, commands) => {
        // Time budget without fast-check's interrupt (which would leave a run going in the background):
        // past it a sequence passes untried, so the runs stop, or the shrinking keeps what it has.
        if (firstFailureMs === undefined ? Date.now() - startedMs > TIME_LIMIT_MS : Date.now() - firstFailureMs > SHRINK_LIMIT_MS) return;
        const h = await PipelineHarness.start(ddb(), config);
        const real: Real = { h, auditor: new Auditor(h, coverage), tolerated: [], log: [`config: ${describeConfig(config)}`, `before the deploy: ${describePreDeploy(preDeploy)}`] };
        sequences++;
        try {
          await h.deploy(preDeploy);
          await fc.asyncModelRun(() => ({ model: { executions: 0 } satisfies ModelState, real }), commands);
          real.log.push('  (quiescence, final sweep, quiescence)');
          await h.finish();
          for (const [point, n] of Object.entries(h.facts.crashesFired)) coverage.add(`crashes fired:${point}`, n);
          coverage.add('operator runs:run', h.facts.operatorRuns.length);
          coverage.add('operator runs:console redrives', h.facts.consoleRedrives.length);
          coverage.add('dlq:messages parked', h.stack.intakeDlq.peek().length);
          for (const click of h.facts.approvals) coverage.add(`approval clicks:${click.via} ${click.verdict} answered ${click.answer}`);
          coverage.add('operator runs:restart', h.facts.operatorRuns.filter((r) => r.command === 'restart').length);
          await judge(real, await real.auditor.final());
        } catch (error) {
          firstFailureMs ??= Date.now();
          throw error;
        } finally {
          commandsRun += real.log.filter((line) => line.startsWith('  ') && !line.startsWith('  (')).length;
          for (const violation of real.tolerated) {
            const entry = toleratedByTag.get(violation.tag) ?? { count: 0, example: violation.text };
            entry.count++;
            toleratedByTag.set(violation.tag, entry);
          }
          await h.stop();
        }
      },
    );
    await fc.assert(property, {
      numRuns: RUNS,
      seed: SEED,
      path: PATH,
      endOnFailure: PATH !== undefined,
    });
  },
  TIME_LIMIT_MS + SHRINK_LIMIT_MS + 5 * 60_000,
);
