/**
 * `approve <executionArn>` / `reject <executionArn>`: decide a redrive the error policy left to a person
 * (an `approve` rule), for teams without Slack or when Slack is down. Same engine, same ledger claim and
 * same client token as a Slack click, so a CLI approval racing a click still makes one redrive. The
 * ledger records the caller's STS identity and --reason, as operator redrives do.
 */
import { Command } from 'commander';
import { RUNTIME_ENV } from '../adapters/runtime-env';
import { parseExecutionArn } from '../core/arn';
import { APPROVAL_KIND, type ApprovalMessage } from '../core/messages';
import { AwsContext, loadConfig, type CliIo, type CommandEnv, type CommonOptions } from './context';
import { operatorEngine, OperatorAlerts } from './engine';
import { CliError, EXIT, type ExitCode } from './errors';
import { json, renderFields } from './output';

export interface ApproveOptions extends CommonOptions {
  reason?: string;
  /** The failure generation asked about (the alert's command names it); without it, whichever is pending. */
  generation?: string;
  alertTopicArn?: string;
  verbose?: boolean;
}

type Verdict = ApprovalMessage['verdict'];

const VERBS: Record<Verdict, { command: string; description: string; done: string }> = {
  APPROVED: { command: 'approve', description: 'Redrive a failure that waits for approval (APPROVAL_PENDING), now', done: 'redriven' },
  REJECTED: { command: 'reject', description: 'Decline a failure that waits for approval (APPROVAL_PENDING): it is not redriven', done: 'rejected' },
};

export function approvalCommand(env: CommandEnv, verdict: Verdict): Command {
  const verb = VERBS[verdict];
  return new Command(verb.command)
    .description(verb.description)
    .argument('<executionArn>', 'the execution waiting for approval')
    .option('--reason <text>', 'why; stored in the ledger with your identity (required)')
    .option('--generation <n>', 'the failure generation you were asked about (the alert\'s command names it): nothing is decided if another one is pending now (default: whichever is pending)')
    .option('--alert-topic-arn <arn>', `publish the decision (APPROVAL_DECIDED) and any NOT_REDRIVABLE alert to this topic (default: $${RUNTIME_ENV.alertTopicArn})`)
    .option('--verbose', 'log the decision as a JSON line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  $ sfn-autoredrive ${verb.command} arn:aws:states:us-east-1:123456789012:execution:orders-flow:order-42 --generation 0 --reason "INC-7 card issuer back"

Exit codes: 0 ${verb.done}, 1 not ${verb.done} (nothing pending, window closed, AWS refused: the reason is printed), 2 usage error.`,
    )
    .action(async (executionArn: string, options: Omit<ApproveOptions, keyof CommonOptions>) => {
      env.exit(await runApproval(executionArn, verdict, { ...env.common(), ...options }, env.io));
    });
}

export async function runApproval(executionArn: string, verdict: Verdict, options: ApproveOptions, io: CliIo): Promise<ExitCode> {
  parseExecutionArn(executionArn);
  if (!options.reason) throw new CliError('--reason "…" is required: it is stored in the ledger with your identity');
  const generation = options.generation === undefined ? undefined : Number(options.generation);
  if (generation !== undefined && !(Number.isInteger(generation) && generation >= 0)) throw new CliError(`--generation ${options.generation} is not a failure generation (0, 1, 2, …)`);
  const config = loadConfig(options, io);
  const ctx = await AwsContext.create(options, io);
  const ledger = ctx.ledger(config);
  const record = await ledger.get(executionArn);
  if (record?.phase !== 'APPROVAL_PENDING' || (generation !== undefined && record.generation !== generation)) {
    const where = record ? `it is ${record.phase} (${record.reason}) at generation ${record.generation}` : 'the ledger has no entry for it';
    throw new CliError(`No approval is pending for ${executionArn}${generation === undefined ? '' : ` at generation ${generation}`}: ${where}`);
  }
  const identity = await ctx.identity();
  const alerts = new OperatorAlerts(ctx, options.alertTopicArn);
  const message: ApprovalMessage = {
    kind: APPROVAL_KIND,
    executionArn,
    generation: record.generation,
    verdict,
    via: 'cli',
    by: identity.arn,
    reason: options.reason,
    decidedAtMs: io.clock.nowMs(),
  };
  const engine = operatorEngine(ctx, { config, ledger, actor: `operator ${identity.arn}: ${options.reason}`, alerts, verbose: options.verbose === true });
  const outcome = await engine.handleApproval(message);
  const decided = verdict === 'APPROVED' ? outcome.redriven : outcome.place === 'REJECTED';
  const report = { executionArn, generation: record.generation, verdict, by: identity.arn, place: outcome.place, reason: outcome.reason, detail: outcome.detail, alertsNotPublished: alerts.unsent.length };
  if (options.output === 'json') io.stdout(`${json(report)}\n`);
  else {
    io.stdout(
      `${renderFields([
        ['execution', executionArn],
        ['generation', record.generation],
        ['decision', `${verdict} by ${identity.arn}`],
        ['result', `${outcome.place} (${outcome.reason}: ${outcome.detail})`],
        ...(alerts.publishing ? [] : ([['alerts not published (no --alert-topic-arn)', alerts.unsent.length]] as Array<[string, number]>)),
      ])}\n`,
    );
  }
  return decided ? EXIT.ok : EXIT.partial;
}
