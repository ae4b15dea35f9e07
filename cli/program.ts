/**
 * The `sfn-autoredrive` program: commander wiring, common options, and one place that turns errors
 * into messages and exit codes (0 ok, 1 partial failure, 2 usage error, 3 a service could not be reached).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { approvalCommand } from './approve';
import { addCommonOptions, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { EXIT, toCliError, type ExitCode } from './errors';
import { explainCommand } from './explain';
import { ledgerCommand } from './ledger-report';
import { redriveCommand, restartCommand } from './redrive';
import { serveCommand } from './serve';
import { sweepCommand } from './sweep';

export function buildProgram(io: CliIo, exit: (code: ExitCode) => void): Command {
  const program = addCommonOptions(new Command('sfn-autoredrive'))
    .description('Operate sfn-autoredrive: explain one execution, redrive in bulk after an incident, approve or reject a redrive waiting for a person, sweep for missed events, report the ledger, serve the local stack.')
    .version(packageVersion(), '--version', 'print the version and exit')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ sfn-autoredrive explain arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-42
  $ sfn-autoredrive redrive --name-prefix orders- --since 6h --reason "INC-1234" --dry-run
  $ sfn-autoredrive approve arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-43 --reason "INC-7 card issuer back"
  $ sfn-autoredrive sweep --window-hours 48
  $ sfn-autoredrive ledger --name-prefix orders- --since 1d
  $ sfn-autoredrive serve

Exit codes: 0 ok, 1 partial failure, 2 usage error, 3 a service could not be reached (wrong or
unreachable endpoint; nothing more was done). See docs/operating.md.`,
    );
  const env: CommandEnv = { io, common: () => program.opts<CommonOptions>(), exit };
  for (const command of [explainCommand(env), redriveCommand(env), restartCommand(env), approvalCommand(env, 'APPROVED'), approvalCommand(env, 'REJECTED'), sweepCommand(env), ledgerCommand(env), serveCommand(env)]) {
    program.addCommand(command);
  }
  program.exitOverride();
  program.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** The package's own version: its package.json is one folder up in a clone, two in the compiled dist/. */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'sfn-autoredrive' && manifest.version) return manifest.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** Runs one command line (without `node` and the script) and returns the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; anything else commander rejects is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const problem = toCliError(error);
    io.stderr(`sfn-autoredrive: ${problem.message}\n`);
    return problem.exitCode;
  }
}
