/**
 * `--config` mistakes are usage errors (exit 2) that name the file, the key and the key meant, before
 * any AWS call: no local stack is needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './harness';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--config', () => {
  it.each([
    ['sweep', ['sweep']],
    ['redrive', ['redrive', '--name-prefix', 'orders-', '--reason', 'r', '--dry-run']],
  ])('%s exits 2 on a typo in the config file, naming the file, the key and the key meant', async (_command, args) => {
    const file = join(dir, 'typo.config.json');
    writeFileSync(file, JSON.stringify({ watch: { stateMachineNamePrefixes: ['orders-'] }, dryrun: true, sweep: { windowClosingHour: 12 } }));
    const out = await cli([...args, '--config', file, '--region', 'us-east-1']);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`${file}: dryrun: unknown key (did you mean dryRun?)`);
    expect(out.stderr).toContain(`${file}: sweep.windowClosingHour: unknown key (did you mean windowClosingHours?)`);
  });
});
