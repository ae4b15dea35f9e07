#!/usr/bin/env -S node --max-semi-space-size=8 --max-old-space-size=128
// V8 flags: a bulk run allocates fast and V8 would let the heap grow to ~190 MB of garbage; an 8 MB young
// generation and an old-generation ceiling keep a 100,000-execution run well under 150 MB. A 1 MB young
// generation kept 23–29 MB less (94 and 96 MB at 10,000 and 100,000, against 117 and 125 MB) but spent 29% of
// the CLI's CPU in garbage collection (docs/BENCHMARKS.md).
// `serve` holds the whole local stack (every emulated execution and its history), so it must not run under
// that ceiling: it is started again as a child with Node's default heap, and this process only relays
// signals to it and exits with its code.
// The package bin. In a clone it runs the TypeScript entry point through tsx (so `npm ci` is enough and an
// old dist/ is never used); the published package ships no TypeScript and runs the compiled dist/bin/cli.js.
// The SDK's notice that 2027 releases need Node 22 is not something an operator can act on mid-incident.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Common options that take a value, so that the value is not taken for the command name. */
const VALUE_OPTIONS = new Set(['--region', '--profile', '--endpoint-url', '--dynamodb-endpoint-url', '--sqs-endpoint-url', '--sns-endpoint-url', '--output', '--config', '--table']);

function commandName(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

const HEAP_FLAGS = /^--max-(semi|old)-space-size(=|$)/;
const UNCAPPED = 'SFN_AUTOREDRIVE_UNCAPPED_CHILD';

if (commandName(process.argv.slice(2)) === 'serve' && !process.env[UNCAPPED] && process.execArgv.some((flag) => HEAP_FLAGS.test(flag))) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv.filter((flag) => !HEAP_FLAGS.test(flag)), __filename, ...process.argv.slice(2)], {
    // Its own process group: a Ctrl-C on the terminal reaches this process only, which relays it once.
    detached: true,
    // The IPC channel closes if this process dies, even by SIGKILL: the child then stops what it started.
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [UNCAPPED]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] ?? 0) : 1)));
} else {
  if (process.env[UNCAPPED] && process.channel) {
    // Started by the wrapper above: stop cleanly when it goes away.
    process.channel.unref();
    process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  }
  if (require('node:fs').existsSync(require('node:path').join(__dirname, 'cli.ts'))) {
    require('tsx/cjs');
    require('./cli.ts');
  } else {
    require('../dist/bin/cli.js');
  }
}
