// `npm run soak -- --runs N`: the model-based pipeline test (test/model) with many more random sequences
// than `npm test` runs. Options become the MODEL_* variables the test reads (see its header):
//   --runs N            sequences (default 500)
//   --minutes M         start no new sequence after M minutes (default: no limit that N would reach)
//   --max-commands N    longest sequence (default 16)
//   --seed=S            replay a seed (`=`: seeds can be negative)
//   --path P --replay-path R  with --seed, replay one shrunk counterexample: its path, and the
//                       replayPath printed after its commands (/*replayPath="R"*/)
//   --strict            fail on open known bugs too
//   --tolerate a,b      tolerate exactly these bug tags (test/model/known-bugs.ts)
//   --plain-machine-names  plain state machine names (execution names keep dots and non-ASCII letters)
//   --plain-names       plain names only
//   --no-console-redrive  nobody redrives behind the pipeline's back
//   --shrink-minutes M  how long to shrink a counterexample (default 15)
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '500' },
    minutes: { type: 'string' },
    'max-commands': { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
    'replay-path': { type: 'string' },
    strict: { type: 'boolean' },
    tolerate: { type: 'string' },
    'plain-machine-names': { type: 'boolean' },
    'plain-names': { type: 'boolean' },
    'no-console-redrive': { type: 'boolean' },
    'shrink-minutes': { type: 'string', default: '15' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs must be a positive integer');
  process.exit(2);
}
const env = {
  ...process.env,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  MODEL_RUNS: String(runs),
  // About 1-2 s a sequence on a 2-core machine; the limit only guards against a runaway run.
  MODEL_TIME_LIMIT_S: String(values.minutes ? Number(values.minutes) * 60 : runs * 10),
  MODEL_SHRINK_LIMIT_S: String(Number(values['shrink-minutes']) * 60),
};
if (values['max-commands']) env.MODEL_MAX_COMMANDS = values['max-commands'];
// New sequences each run unless a seed is given (`npm test` replays one fixed seed).
env.MODEL_SEED = values.seed ?? 'random';
if (values.path) env.MODEL_PATH = values.path;
if (values['replay-path']) env.MODEL_REPLAY_PATH = values['replay-path'];
if (values.strict) env.MODEL_STRICT = '1';
if (values.tolerate !== undefined) env.MODEL_TOLERATE = values.tolerate;
if (values['plain-machine-names']) env.MODEL_EXOTIC_NAMES = 'executions';
if (values['plain-names']) env.MODEL_EXOTIC_NAMES = '0';
if (values['no-console-redrive']) env.MODEL_CONSOLE_REDRIVE = '0';

const result = spawnSync('node_modules/.bin/jest', ['test/model/pipeline.model.test.ts', '--verbose=false'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
