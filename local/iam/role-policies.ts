/**
 * The synthesized role policies, cached: a synth takes seconds (aws-cdk-lib alone loads for one or
 * two), a cache hit milliseconds. The key covers everything a policy comes from: the config, the local
 * names, the construct's and config's sources and the aws-cdk-lib version. Cached in memory for the
 * process and on disk (os.tmpdir()) across runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AutoRedriveConfig } from '../../core/config';
import type { LocalResourceNames, RolePolicies } from './synthesized-policies';

const ROOT = join(__dirname, '..', '..');
const CACHE_DIR = join(tmpdir(), 'sfn-autoredrive-iam-cache');
/** What the policies are synthesized from, besides the config. */
const SOURCE_DIRS = ['lib', 'core'];
const inProcess = new Map<string, RolePolicies>();

export function rolePoliciesFor(config: AutoRedriveConfig, names: LocalResourceNames): RolePolicies {
  const key = cacheKey(config, names);
  const cached = inProcess.get(key) ?? readCached(key);
  if (cached) {
    inProcess.set(key, cached);
    return cached;
  }
  // Loaded only on a miss: it pulls in aws-cdk-lib.
  const { synthesizeRolePolicies } = require('./synthesized-policies') as typeof import('./synthesized-policies');
  const policies = synthesizeRolePolicies(config, names);
  inProcess.set(key, policies);
  writeCached(key, policies);
  return policies;
}

function cacheKey(config: AutoRedriveConfig, names: LocalResourceNames): string {
  const hash = createHash('sha256').update(JSON.stringify({ config, names, cdk: (require('aws-cdk-lib/package.json') as { version: string }).version }));
  for (const dir of SOURCE_DIRS) {
    for (const file of readdirSync(join(ROOT, dir)).sort()) {
      if (/\.(ts|js)$/.test(file)) hash.update(file).update(readFileSync(join(ROOT, dir, file)));
    }
  }
  const cdkJson = join(ROOT, 'cdk.json');
  if (existsSync(cdkJson)) hash.update(readFileSync(cdkJson));
  return hash.digest('hex').slice(0, 32);
}

function readCached(key: string): RolePolicies | undefined {
  try {
    return JSON.parse(readFileSync(join(CACHE_DIR, `${key}.json`), 'utf8')) as RolePolicies;
  } catch {
    return undefined;
  }
}

/** Written aside and renamed, so a concurrent reader (another jest worker) never sees half a file. */
function writeCached(key: string, policies: RolePolicies): void {
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = join(CACHE_DIR, `${key}.${process.pid}.tmp`);
  writeFileSync(partial, JSON.stringify(policies));
  renameSync(partial, join(CACHE_DIR, `${key}.json`));
}
