/**
 * The real AWS CLI (`aws` on PATH), for tests that drive the local stack the way a user would. Every call
 * runs with execFile (no shell), a timeout, and a configuration of its own: a temporary HOME,
 * AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, no AWS_* variable of the caller's, no pager. A CLI
 * whose Step Functions model predates the commands the tests need (Debian 12's awscli 2.9.19, January
 * 2023: no redrive, versions or aliases) gets a newer model with `aws configure add-model`, written into
 * that temporary HOME, never the user's ~/.aws (the model: test/support/aws-cli/README.md). Dates print
 * as ISO 8601 (`cli_timestamp_format`), whichever the version.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const STEP_FUNCTIONS_MODEL = join(__dirname, 'aws-cli', 'stepfunctions-2016-11-23.service-2.json');
/**
 * The newest command the tests need (November 2023; versions and aliases came in June 2023): a CLI
 * without it gets the vendored model.
 */
const NEWEST_COMMAND = 'redrive-execution';
const CALL_TIMEOUT_MS = 60_000;

export const INSTALL_HINT =
  'Install the AWS CLI: `apt-get install -y awscli` on Debian/Ubuntu (.ci/run does this when no `aws` is on PATH), ' +
  'or AWS CLI v2 from https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html, ' +
  'or `pip install awscli` (v1).';

export interface AwsResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AwsCli {
  /** Absolute path of the `aws` found on PATH. */
  path: string;
  /** `aws --version`, e.g. `aws-cli/2.9.19 Python/3.11.2 …`. */
  version: string;
  major: number;
  /** True when the CLI's own model lacked the newer commands and the vendored one was added. */
  addedModel: boolean;
  /**
   * The exit code of a call the service answered with an error: 254 in v2
   * (https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html), 255 in v1.
   */
  serviceErrorExit: number;
  /** Runs `aws <args>` with the isolated configuration plus `env`. */
  run(args: string[], env?: Record<string, string>): Promise<AwsResult>;
  /** Deletes the temporary configuration directory. */
  cleanUp(): void;
}

/** The first executable `aws` on PATH, or an error that says how to install one. */
export function findAwsCli(path = process.env.PATH ?? ''): string {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'aws');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`No AWS CLI: no executable \`aws\` on PATH (${path}). ${INSTALL_HINT}`);
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<AwsResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd, timeout: CALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${file} ${args.join(' ')}: ${error.message}${error.killed ? ` (killed after ${CALL_TIMEOUT_MS} ms)` : ''}\n${stderr}`));
      } else {
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      }
    });
  });
}

/**
 * Finds the CLI, isolates its configuration and, if its Step Functions model lacks the newer commands,
 * adds the vendored model to the isolated configuration.
 */
export async function prepareAwsCli(): Promise<AwsCli> {
  const path = findAwsCli();
  const home = mkdtempSync(join(tmpdir(), 'aws-cli-home-'));
  // Dates print as ISO 8601 in both major versions (v1's default prints epoch seconds, v2's ISO 8601).
  writeFileSync(join(home, 'config'), '[default]\ncli_timestamp_format = iso8601\n');
  writeFileSync(join(home, 'credentials'), '');
  const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  Object.assign(baseEnv, {
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CLI_AUTO_PROMPT: 'off',
  });
  const run = (args: string[], env: Record<string, string> = {}) => exec(path, args, { ...baseEnv, ...env }, home);
  const cleanUp = () => rmSync(home, { recursive: true, force: true });
  try {
    const versionRun = await run(['--version']);
    // v1 printed its version on stderr before 1.x releases of 2023; v2 on stdout.
    const version = `${versionRun.stdout}${versionRun.stderr}`.trim();
    const match = /^aws-cli\/(\d+)\./.exec(version);
    if (versionRun.code !== 0 || !match) throw new Error(`${path} --version did not name an AWS CLI (exit ${versionRun.code}): ${version}. ${INSTALL_HINT}`);
    const major = Number(match[1]);
    // Without its required arguments a known command fails on them; an unknown one with "Invalid choice".
    const lacks = async () => /Invalid choice/.test((await run(['stepfunctions', NEWEST_COMMAND])).stderr);
    const addedModel = await lacks();
    if (addedModel) {
      const added = await run(['configure', 'add-model', '--service-model', `file://${STEP_FUNCTIONS_MODEL}`, '--service-name', 'stepfunctions']);
      if (added.code !== 0) throw new Error(`aws configure add-model failed (exit ${added.code}): ${added.stderr}`);
      if (await lacks()) throw new Error(`${version}: \`aws stepfunctions ${NEWEST_COMMAND}\` is still missing after add-model`);
    }
    return { path, version, major, addedModel, serviceErrorExit: major === 1 ? 255 : 254, run, cleanUp };
  } catch (error) {
    cleanUp();
    throw error;
  }
}
