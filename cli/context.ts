/**
 * What every AWS-facing command shares: the common options (AWS CLI conventions), the clients built
 * from them, the config file, the ledger and the operator's identity.
 *
 * Endpoints: `--endpoint-url` points Step Functions at the local stack; DynamoDB, SQS and SNS have
 * their own flags. Without flags the SDK also honours AWS_ENDPOINT_URL_<SERVICE>, which `serve` prints.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { Command, Option } from 'commander';
import { createClients, type AwsClients } from '../adapters/clients';
import { Ledger } from '../adapters/ledger';
import { RUNTIME_ENV } from '../adapters/runtime-env';
import type { Clock } from '../core/clock';
import { DEFAULT_CONFIG_FILE, parseConfig, parseConfigJson, type AutoRedriveConfig } from '../core/config';
import type { HomeEnvironment } from '../core/decide';
import { LOCAL_ACCOUNT } from '../local/fabric/aws-names';
import { CliError, tagFailingCommand, type ExitCode } from './errors';
import { ApiRateLimiter, defaultRates, type RateSpec } from './rate-limit';

/** The process around a command: streams, environment, clock and signals, injectable for tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stdin and stderr are terminals: the progress bar (on stderr) shows, and y/N prompts can be answered. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** Asks a yes/no question on the terminal; false unless answered y or yes. */
  confirm(question: string): Promise<boolean>;
  /** Calls `handler` on each of `signals` (default SIGINT); returns the function that removes it. */
  onInterrupt(handler: () => void, signals?: NodeJS.Signals[]): () => void;
  cwd: string;
}

/** What a command factory gets: the process, the common options once parsed, and where to put the exit code. */
export interface CommandEnv {
  io: CliIo;
  common(): CommonOptions;
  exit(code: ExitCode): void;
}

export interface CommonOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  dynamodbEndpointUrl?: string;
  sqsEndpointUrl?: string;
  snsEndpointUrl?: string;
  output: 'table' | 'json';
  config?: string;
  table?: string;
}

/** Adds the options every command takes (they may be given before or after the command name). */
export function addCommonOptions(program: Command): Command {
  return program
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)')
    .option('--profile <name>', 'named profile from ~/.aws/config and ~/.aws/credentials')
    .option('--endpoint-url <url>', 'Step Functions endpoint, e.g. the local stack printed by `serve`')
    .option('--dynamodb-endpoint-url <url>', 'DynamoDB endpoint (the ledger)')
    .option('--sqs-endpoint-url <url>', 'SQS endpoint (the intake queue, for `sweep --hand-over enqueue`)')
    .option('--sns-endpoint-url <url>', 'SNS endpoint (the alert topic)')
    .addOption(new Option('--output <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--config <file>', `sfn-autoredrive config file (default: ./${DEFAULT_CONFIG_FILE} if present)`)
    .option('--table <name>', `ledger table name (default: $${RUNTIME_ENV.ledgerTableName})`);
}

/** Loads the config file. Without one, operator commands still work: every rule but scope applies. */
export function loadConfig(options: CommonOptions, io: CliIo, { required = false } = {}): AutoRedriveConfig {
  return loadConfigWithSource(options, io, { required }).config;
}

/** The config and where it came from, for commands that say which file they judged by. */
export function loadConfigWithSource(options: CommonOptions, io: CliIo, { required = false } = {}): { config: AutoRedriveConfig; source: string } {
  const explicit = options.config !== undefined;
  const path = resolve(io.cwd, options.config ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicit || required) throw new CliError(`Config file ${path} not found${explicit ? '' : ': this command needs one (--config FILE)'}`);
    return {
      config: parseConfig({ watch: { all: true, allReason: 'no config file: the operator selects executions' } }),
      source: `the default config (no ${DEFAULT_CONFIG_FILE} in ${io.cwd}; --config FILE to use one)`,
    };
  }
  // A ConfigError (bad JSON or bad fields, each named) is a usage error: exit 2.
  return { config: parseConfigJson(readFileSync(path, 'utf8'), path), source: path };
}

export interface Identity {
  /** STS caller ARN, or `local:<user>` against a local endpoint. */
  arn: string;
  account: string;
}

export class AwsContext {
  readonly limiter: ApiRateLimiter;

  private constructor(
    readonly options: CommonOptions,
    readonly io: CliIo,
    readonly clients: AwsClients,
    readonly region: string,
    /** True when Step Functions is a local endpoint (no STS there). */
    readonly local: boolean,
    private readonly sts: STSClient,
    rates: Record<string, RateSpec>,
  ) {
    this.limiter = new ApiRateLimiter(rates);
    this.limiter.attachTo(clients.sfn);
  }

  static async create(options: CommonOptions, io: CliIo, adjustRates?: (rates: Record<string, RateSpec>) => void): Promise<AwsContext> {
    const env = io.env;
    const endpoint = options.endpointUrl ?? env.AWS_ENDPOINT_URL_SFN ?? env.AWS_ENDPOINT_URL;
    // Only a loopback endpoint is the local stack; a VPC or FIPS endpoint is real AWS with real identities.
    const local = endpoint !== undefined && /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:|\/|$)/.test(endpoint);
    const hasOwnCredentials = Boolean(options.profile ?? env.AWS_PROFILE ?? env.AWS_ACCESS_KEY_ID);
    // The local stack accepts any credentials; do not make a developer configure some.
    const credentials = options.profile
      ? fromIni({ profile: options.profile })
      : local && !hasOwnCredentials
        ? { accessKeyId: 'local', secretAccessKey: 'local' }
        : undefined;
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const clients = createClients({
      region,
      credentials,
      endpoints: { sfn: options.endpointUrl, dynamodb: options.dynamodbEndpointUrl, sqs: options.sqsEndpointUrl, sns: options.snsEndpointUrl },
    });
    let resolvedRegion: string;
    try {
      resolvedRegion = await clients.sfn.config.region();
    } catch {
      throw new CliError('No region: pass --region, or set AWS_REGION, or use a --profile that has one');
    }
    for (const client of [clients.sfn, clients.dynamo, clients.sqs, clients.sns]) tagFailingCommand(client);
    const sts = new STSClient({ region: resolvedRegion, credentials });
    const rates = defaultRates(resolvedRegion);
    adjustRates?.(rates);
    return new AwsContext(options, io, clients, resolvedRegion, local, sts, rates);
  }

  get clock(): Clock {
    return this.io.clock;
  }

  ledger(config: AutoRedriveConfig): Ledger {
    const table = this.options.table ?? this.io.env[RUNTIME_ENV.ledgerTableName];
    if (!table) {
      throw new CliError(`No ledger table: pass --table NAME or set ${RUNTIME_ENV.ledgerTableName} (the DynamoDB table of the ${config.stackName} stack; \`serve\` prints it)`);
    }
    return new Ledger(this.clients.dynamo, table, config.ledger.retentionDays);
  }

  private identityPromise?: Promise<Identity>;

  /** Who is acting, for the ledger: the STS caller, or the local OS user against the local stack. */
  identity(): Promise<Identity> {
    this.identityPromise ??= this.local
      ? Promise.resolve({ arn: `local:${userInfo().username}`, account: LOCAL_ACCOUNT })
      : (async () => {
          tagFailingCommand(this.sts);
          const out = await this.sts.send(new GetCallerIdentityCommand({}));
          return { arn: out.Arn ?? 'unknown', account: out.Account ?? 'unknown' };
        })();
    return this.identityPromise;
  }

  async home(): Promise<HomeEnvironment> {
    const { arn, account } = await this.identity();
    const partition = /^arn:(aws[a-z-]*):/.exec(arn)?.[1] ?? 'aws';
    return { partition, region: this.region, account };
  }
}
