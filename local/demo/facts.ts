/**
 * Reads what the stack recorded about each execution, through the same APIs an operator would use:
 * DescribeExecution and GetExecutionHistory (official SFN client), the ledger item (DynamoDB Local),
 * the intake DLQ (SQS ReceiveMessage), plus the alerts the topic received.
 *
 * Express executions are the exception: Step Functions refuses DescribeExecution and
 * GetExecutionHistory for them (InvalidArn), so only the ARN, the start date StartExecution returned,
 * the ledger and the alerts are read. The product never watches them either (no status events).
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Alert } from '../../core/alerts';
import { parseExecutionArn } from '../../core/arn';
import type { ExecutionStatus } from '../../core/evidence';
import type { Ledger } from '../../adapters/ledger';
import type { ExecutionFacts, FailureEvent } from './accounting';

export interface StartedExecution {
  name: string;
  executionArn: string;
  group: string;
  /** From StartExecution. */
  startDateMs: number;
  /** A Distributed Map child, found through its parent's history rather than started by the demo. */
  mapRunChild?: boolean;
}

export interface FactSources {
  sfn: SFNClient;
  sqs: SQSClient;
  ledger: Ledger;
  intakeDlqUrl: string;
  alerts: readonly Alert[];
  /** Execution ARNs the sweep handed over because no event had brought them in. */
  sweepMissed: ReadonlySet<string>;
}

/** Reads facts a few executions at a time, so a large scenario does not flood the emulator. */
const PARALLEL_READS = 8;

/**
 * The facts of every execution started and of every fix-forward restart the pipeline started for them
 * (followed through the ledger's `restartedAs` links), then of the Standard Map Run children that failed
 * at least once (their parents' histories name the Map Runs): the product sees those children's status
 * events and must skip them, and a restart's own failures are accounted too.
 */
export async function collectFacts(started: StartedExecution[], sources: FactSources): Promise<ExecutionFacts[]> {
  const parked = await dlqMessageBodies(sources.sqs, sources.intakeDlqUrl);
  const parents: Array<ExecutionFacts & { mapRunArns: string[] }> = [];
  for (let batch = started; batch.length > 0; ) {
    const read = await readInBatches(batch, (execution) => factsFor(execution, sources, parked));
    parents.push(...read);
    batch = read.flatMap((f, i) => (f.ledger?.restartedAs ? [restartOf(batch[i], f.ledger.restartedAs)] : []));
  }
  const children = (await readInBatches(parents, (parent) => failedChildren(sources.sfn, parent))).flat();
  const withoutRuns = ({ mapRunArns: _mapRunArns, ...facts }: ExecutionFacts & { mapRunArns: string[] }): ExecutionFacts => facts;
  return [...parents, ...(await readInBatches(children, (child) => factsFor(child, sources, parked)))].map(withoutRuns);
}

function restartOf(original: StartedExecution, executionArn: string): StartedExecution {
  const name = parseExecutionArn(executionArn).executionName;
  return { name, executionArn, group: original.group.endsWith(' (restarts)') ? original.group : `${original.group} (restarts)`, startDateMs: original.startDateMs };
}

async function readInBatches<T, R>(items: T[], read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += PARALLEL_READS) results.push(...(await Promise.all(items.slice(i, i + PARALLEL_READS).map(read))));
  return results;
}

/** Children of the parent's Standard Map Runs that did not simply succeed: still unsuccessful, or redriven by their Map Run. */
async function failedChildren(sfn: SFNClient, parent: ExecutionFacts & { mapRunArns: string[] }): Promise<StartedExecution[]> {
  const children: StartedExecution[] = [];
  for (const mapRunArn of parent.mapRunArns) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000, nextToken }));
      for (const child of page.executions ?? []) {
        if (parseExecutionArn(child.executionArn!).resourceType !== 'execution' || (child.status === 'SUCCEEDED' && !child.redriveCount)) continue;
        children.push({ name: `${parent.name} child ${child.name}`, executionArn: child.executionArn!, group: `${parent.group} (Map Run children)`, startDateMs: child.startDate!.getTime(), mapRunChild: true });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return children;
}

async function factsFor(execution: StartedExecution, sources: FactSources, parkedBodies: string[]): Promise<ExecutionFacts & { mapRunArns: string[] }> {
  const { executionArn } = execution;
  const arn = parseExecutionArn(executionArn);
  const express = arn.resourceType === 'express' && !arn.mapRunLabel;
  const [described, history, ledger] = await Promise.all([
    express ? undefined : sources.sfn.send(new DescribeExecutionCommand({ executionArn })),
    express ? { failures: [], mapRunArns: [] } : readHistory(sources.sfn, executionArn),
    sources.ledger.get(executionArn),
  ]);
  const { failures, mapRunArns } = history;
  return {
    mapRunChild: execution.mapRunChild ?? false,
    mapRunArns,
    name: execution.name,
    executionArn,
    stateMachineArn: described?.stateMachineArn ?? arn.stateMachineArn,
    group: execution.group,
    express,
    startDateMs: described?.startDate?.getTime() ?? execution.startDateMs,
    status: described ? (described.status as ExecutionStatus) : 'UNKNOWN',
    redriveCount: described?.redriveCount ?? 0,
    failures,
    ledger,
    alerts: sources.alerts.filter((alert) => alert.executionArn === executionArn),
    parkedMessages: parkedBodies.filter((body) => body.includes(JSON.stringify(executionArn))).length,
    caughtBySweep: sources.sweepMissed.has(executionArn),
  };
}

/** Every run that ended in failure, numbered by the redrives before it, and the Map Runs the execution started. */
async function readHistory(sfn: SFNClient, executionArn: string): Promise<{ failures: FailureEvent[]; mapRunArns: string[] }> {
  const failures: FailureEvent[] = [];
  const mapRunArns: string[] = [];
  let generation = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
    for (const event of page.events ?? []) {
      if (event.type === 'ExecutionRedriven') generation++;
      if (event.type === 'MapRunStarted') mapRunArns.push(event.mapRunStartedEventDetails!.mapRunArn!);
      const failure = failureOf(event, generation);
      if (failure) failures.push(failure);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return { failures, mapRunArns };
}

function failureOf(event: HistoryEvent, generation: number): FailureEvent | undefined {
  const stoppedAtMs = event.timestamp!.getTime();
  switch (event.type) {
    case 'ExecutionFailed':
      return { generation, status: 'FAILED', error: event.executionFailedEventDetails?.error, cause: event.executionFailedEventDetails?.cause, stoppedAtMs };
    case 'ExecutionTimedOut':
      return { generation, status: 'TIMED_OUT', error: event.executionTimedOutEventDetails?.error, cause: event.executionTimedOutEventDetails?.cause, stoppedAtMs };
    case 'ExecutionAborted':
      return { generation, status: 'ABORTED', error: event.executionAbortedEventDetails?.error, cause: event.executionAbortedEventDetails?.cause, stoppedAtMs };
    default:
      return undefined;
  }
}

/** Reads the whole DLQ without deleting anything (the messages stay for an operator). */
async function dlqMessageBodies(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const page = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600, WaitTimeSeconds: 0 }));
    const messages = page.Messages ?? [];
    if (messages.length === 0) return bodies;
    bodies.push(...messages.map((m) => m.Body ?? ''));
  }
}
