/**
 * The Lambda handlers bundled outside CDK with the construct's own NodejsFunction options
 * (LAMBDA_BUNDLING): for the package's pre-built assets (scripts/build-dist.ts) and the cold-start bench.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lib/auto-redrive';
import { projectRelativeSourcesArgs } from '../lib/lambda-code';

const LAMBDA_SOURCE_DIR = path.join(__dirname, '..', 'lambda');

/** What NodejsFunction passes to esbuild for LAMBDA_BUNDLING (aws-lambda-nodejs Bundling). */
export const CONSTRUCT_ESBUILD_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  minify: LAMBDA_BUNDLING.minify,
  sourcemap: LAMBDA_BUNDLING.sourceMap,
  sourcesContent: LAMBDA_BUNDLING.sourcesContent,
  target: LAMBDA_BUNDLING.target,
  format: LAMBDA_BUNDLING.format,
  external: LAMBDA_BUNDLING.externalModules,
};

/** Every handler file under lambda/ (`worker.ts`, ...). */
export function lambdaEntries(): string[] {
  return readdirSync(LAMBDA_SOURCE_DIR).filter((file) => file.endsWith('.ts')).sort();
}

/** Bundles lambda/<entry> into `outfile` (and its map), as the construct's NodejsFunction would. */
export function bundleLambda(entryFile: string, outfile: string): void {
  buildSync({ ...CONSTRUCT_ESBUILD_OPTIONS, entryPoints: [path.join(LAMBDA_SOURCE_DIR, entryFile)], outfile, logLevel: 'warning' });
  // NodejsFunction's afterBundling hook does the same (LAMBDA_BUNDLING.commandHooks).
  if (LAMBDA_BUNDLING.sourceMap) execFileSync(process.execPath, projectRelativeSourcesArgs(`${outfile}.map`));
}
