/** Runs the demo command line in-process and writes scenario files, for the demo tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemoCli } from '../../local/demo/cli';

export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runDemoCli(args, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stdout, stderr };
}

/** A scenario.json in a fresh temporary directory. */
export function scenarioFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'demo-scenario-')), 'scenario.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** A product config for scenarios whose machines are named `orders-…`: two attempts, fixed backoff, sweep every 15 minutes. */
export const ordersConfig = {
  watch: { stateMachineNamePrefixes: ['orders-'] },
  maxAttempts: 2,
  backoff: { initialDelaySeconds: 60, multiplier: 2, maxDelaySeconds: 600, jitter: 'none' },
  sweep: { enabled: true, rateMinutes: 15 },
};
