/**
 * Cold start proxy: the worker bundled exactly as the construct's NodejsFunction bundles it (esbuild,
 * minified, CommonJS, `@aws-sdk/*` external, the Lambda runtime's Node target, a source map without
 * sources), its size, and the time a fresh node process started with the functions' NODE_OPTIONS
 * (`--enable-source-maps`) takes to require it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LAMBDA_NODE_OPTIONS } from '../lib/auto-redrive';
import { bundleLambda } from '../scripts/lambda-bundles';

export interface ColdStartFigures {
  minifiedKb: number;
  gzippedKb: number;
  /** The source map beside the bundle (0 without one), and the two gzipped together (about the zip). */
  sourceMapKb: number;
  bundleAndMapGzippedKb: number;
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
    const map = existsSync(`${outfile}.map`) ? readFileSync(`${outfile}.map`) : Buffer.alloc(0);
    const probe = `const t = process.hrtime.bigint(); require(${JSON.stringify(outfile)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
    // NODE_PATH lets the bundle find the externals (@aws-sdk/*) the Lambda runtime would provide.
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
    const nodeFlags = LAMBDA_NODE_OPTIONS.split(' ');
    const times = Array.from({ length: runs }, () => Number(execFileSync(process.execPath, [...nodeFlags, '-e', probe], { env }).toString()));
    const gzippedKb = gzipSync(bytes).length / 1024;
    return {
      minifiedKb: bytes.length / 1024,
      gzippedKb,
      sourceMapKb: map.length / 1024,
      bundleAndMapGzippedKb: gzippedKb + (map.length > 0 ? gzipSync(map).length / 1024 : 0),
      requireMsMedian: median(times),
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
