/**
 * `serve`: the embedded local stack as a long-lived service. Prints every endpoint and the environment
 * that points the AWS SDK, the AWS CLI and this CLI at it; runs until SIGINT or SIGTERM, then stops
 * everything it started (DynamoDB Local's JVM included).
 */
import { Command, Option } from 'commander';
import { CONFIG_ENV_VAR } from '../core/config';
import { RealClock, VirtualClock } from '../local/clock';
import { ADMIN_CREDENTIALS } from '../local/iam/principals';
import { LocalStack, type LocalStackOptions } from '../local/stack';
import { loadConfig, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { EXIT, type ExitCode } from './errors';
import { renderFields } from './output';
import { positiveInt, positiveNumber } from './parsers';

export interface ServeOptions extends CommonOptions {
  mockConfig?: string;
  port?: number;
  sfnPort?: number;
  awsPort?: number;
  dynamodbPort?: number;
  slackPort?: number;
  /** Virtual clock speed (virtual ms per real ms); `true` when given without a value. */
  virtualClock?: number | true;
  throttling?: boolean;
  /** false with --no-iam: the endpoints evaluate no policy. */
  iam: boolean;
  logLevel: NonNullable<LocalStackOptions['logLevel']>;
}

const DEFAULT_VIRTUAL_SPEED = 60;

export function serveCommand(env: CommandEnv): Command {
  return new Command('serve')
    .description('Run the embedded local stack (Step Functions emulator, DynamoDB Local, SQS/SNS/Secrets, worker) until Ctrl-C')
    .option('--mock-config <file>', 'Step Functions Local MockConfigFile.json for Task states')
    .option('--port <base>', 'fixed ports: Step Functions on base, SQS/SNS/Secrets on base+1, DynamoDB on base+2, Slack receiver on base+3 (default: free ports)', positiveInt('--port'))
    .option('--sfn-port <n>', 'Step Functions port', positiveInt('--sfn-port'))
    .option('--aws-port <n>', 'SQS/SNS/Secrets Manager port', positiveInt('--aws-port'))
    .option('--dynamodb-port <n>', 'DynamoDB Local port', positiveInt('--dynamodb-port'))
    .option('--slack-port <n>', 'local Slack webhook receiver port', positiveInt('--slack-port'))
    .option('--virtual-clock [speed]', `run on a virtual clock at speed x real time (default speed ${DEFAULT_VIRTUAL_SPEED}: backoffs and Wait states pass 60x faster)`, positiveNumber('--virtual-clock'))
    .option('--throttling', 'turn on the emulator\'s AWS-default throttling buckets')
    .option('--no-iam', 'do not evaluate calls against IAM policies (by default each Lambda is held to its synthesized role policy, the CLI to docs/operator-policy.json)')
    .addOption(new Option('--log-level <level>', 'worker and notifier log level').choices(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('SILENT'))
    .addHelpText(
      'after',
      `
Examples:
  $ sfn-autoredrive serve                      # free ports, config from ./autoredrive.config.json
  $ sfn-autoredrive serve --port 4580 --mock-config MockConfigFile.json
  # in another shell, paste the printed exports, then:
  $ aws stepfunctions list-state-machines
  $ sfn-autoredrive redrive --name-prefix orders- --reason test --dry-run

Exit codes: 0 stopped cleanly on SIGINT/SIGTERM, 2 usage error (bad config, port in use).`,
    )
    .action(async (options: Omit<ServeOptions, keyof CommonOptions>) => {
      env.exit(await runServe({ ...env.common(), ...options }, env.io));
    });
}

export async function runServe(options: ServeOptions, io: CliIo): Promise<ExitCode> {
  const config = loadConfig(options, io);
  const base = options.port;
  const port = (explicit: number | undefined, offset: number) => explicit ?? (base === undefined ? undefined : base + offset);
  const speed = options.virtualClock === true ? DEFAULT_VIRTUAL_SPEED : options.virtualClock;
  const stack = await LocalStack.start({
    config,
    clock: speed === undefined ? new RealClock() : new VirtualClock({ speed }),
    mockConfig: options.mockConfig,
    throttling: options.throttling === true,
    iam: { enforce: options.iam !== false },
    logLevel: options.logLevel,
    ports: { stepFunctions: port(options.sfnPort, 0), aws: port(options.awsPort, 1), dynamodb: port(options.dynamodbPort, 2), slack: port(options.slackPort, 3) },
    onAlert: (alert) => io.stderr(`alert ${alert.kind} ${alert.executionName ?? ''} ${alert.reason}: ${alert.detail}\n`),
  });
  const stopped = new Promise<string>((resolve) => {
    const remove = io.onInterrupt(() => {
      remove();
      resolve('signal');
    }, ['SIGINT', 'SIGTERM']);
  });
  // The construct's variables except the config itself, which is long and only the Lambdas need.
  const { [CONFIG_ENV_VAR]: _config, ...exports } = stack.sdkEnvironment();
  const endpoints = { stepFunctions: stack.sfn.endpoint, dynamodb: stack.dynamo.endpoint, sqsSnsSecretsManager: stack.aws.url, slackWebhook: stack.slack?.url };
  const iam = options.iam === false ? 'off' : 'enforced';
  if (options.output === 'json') {
    // One line, so a supervising process can read it as soon as the stack is up.
    io.stdout(`${JSON.stringify({ endpoints, env: exports, adminCredentials: ADMIN_CREDENTIALS, iam, dynamodbLocalPid: stack.dynamo.pid, clock: speed === undefined ? 'real' : `virtual x${speed}` })}\n`);
  } else {
    io.stdout(
      [
        'sfn-autoredrive local stack is running (Ctrl-C to stop).',
        renderFields([
          ['Step Functions', endpoints.stepFunctions],
          ['DynamoDB Local', `${endpoints.dynamodb} (pid ${stack.dynamo.pid})`],
          ['SQS, SNS, Secrets Manager', endpoints.sqsSnsSecretsManager],
          ['Slack webhook receiver', endpoints.slackWebhook ?? '-'],
          ['clock', speed === undefined ? 'real' : `virtual, ${speed}x real time`],
          ['watching', JSON.stringify(config.watch)],
          ['IAM', iam === 'off' ? 'off (--no-iam)' : 'enforced (the exports below are the operator)'],
        ]),
        ...(stack.slack && config.approvals.slackSigningSecretName
          ? [
              'Approval messages carry Redrive / Skip buttons; click one as an allow-listed Slack user with:',
              `  curl -s -X POST ${stack.slack.clickUrl} -d '{"execution":"NAME","button":"Redrive","user":{"id":"${config.approvals.allowedSlackUserIds[0]}","name":"you"}}'`,
            ]
          : []),
        'Point the AWS SDK, the AWS CLI and sfn-autoredrive at it:',
        ...Object.entries(exports).map(([name, value]) => `export ${name}=${value}`),
        '',
        `To create state machines and start executions (the operator may not), use the local account's administrator: AWS_ACCESS_KEY_ID=${ADMIN_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${ADMIN_CREDENTIALS.secretAccessKey}`,
        '',
      ].join('\n'),
    );
  }
  await stopped;
  io.stderr('Stopping the local stack…\n');
  await stack.stop();
  io.stderr('Stopped.\n');
  return EXIT.ok;
}
