/** Everything an API operation needs, built once by SfnEmulator. */
import type { StackClock } from '../clock';
import type { CallbackRegistry } from './callbacks';
import type { ExecutionRunner } from './execution-runner';
import type { MapRuns } from './map-runs';
import type { MockResponses } from './mock-config';
import type { PageTokens } from './page-tokens';
import type { StatusNotifier } from './status-events';
import type { EmulatorStore } from './store';

export interface EmulatorContext {
  clock: StackClock;
  partition: string;
  account: string;
  region: string;
  store: EmulatorStore;
  runner: ExecutionRunner;
  mapRuns: MapRuns;
  notifier: StatusNotifier;
  mocks: MockResponses;
  /** Task tokens of `.waitForTaskToken` tasks, for the SendTask* APIs. */
  callbacks: CallbackRegistry;
  pageTokens: PageTokens;
  /** Open-execution quota (AWS: 1,000,000 per account and region). */
  maxOpenExecutions: number;
}
