/**
 * Cold start proxy: the worker bundled exactly as the construct's NodejsFunction bundles it (esbuild,
 * minified, CommonJS, `@aws-sdk/*` external, the Lambda runtime's Node target), its size, and the time
 * a fresh node process takes to require it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundleLambda } from '../scripts/lambda-bundles';

export interface ColdStartFigures {
  minifiedKb: number;
  gzippedKb: number;
  /** Median over `runs` fresh processes: time to require the bundle (the SDK is preinstalled in Lambda, here from node_modules). */
  requireMsMedian: number;
  runs: number;
}

const ROOT = path.join(__dirname, '..');

export function measureColdStart(runs: number): ColdStartFigures {
  const dir = mkdtempSync(path.join(tmpdir(), 'sfn-autoredrive-bundle-'));
  try {
    const outfile = path.join(dir, 'index.js');
    bundleLambda('worker.ts', outfile);
    const bytes = readFileSync(outfile);
    const probe = `const t = process.hrtime.bigint(); require(${JSON.stringify(outfile)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
    // NODE_PATH lets the bundle find the externals (@aws-sdk/*) the Lambda runtime would provide.
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
    const times = Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ['-e', probe], { env }).toString()));
    return { minifiedKb: bytes.length / 1024, gzippedKb: gzipSync(bytes).length / 1024, requireMsMedian: median(times), runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
