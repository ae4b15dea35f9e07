/**
 * Entry point of the `sfn-autoredrive` command (bin/cli.js registers tsx and loads this file).
 */
import { systemClock } from '../core/clock';
import type { CliIo } from '../cli/context';
import { runCli } from '../cli/program';
import { askYesNo } from '../cli/prompt';

// `sfn-autoredrive ledger | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

let interrupts = 0;
const io: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  env: process.env,
  clock: systemClock,
  cwd: process.cwd(),
  confirm: (question) => askYesNo(question),
  onInterrupt(handler, signals = ['SIGINT']) {
    const listener = () => {
      interrupts++;
      // The first signal stops cleanly; a second one means "now".
      if (interrupts > 1) process.exit(130);
      handler();
    };
    for (const signal of signals) process.on(signal, listener);
    return () => {
      for (const signal of signals) process.off(signal, listener);
    };
  },
};

runCli(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`sfn-autoredrive: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
