/**
 * Where the construct's Lambda code comes from.
 *
 * - The published package (the construct compiled to dist/lib/) ships every handler pre-bundled in
 *   dist/lambda-bundles/<name>/index.js (`npm run build:dist`, same esbuild options as below), so a
 *   consumer's synth runs no esbuild and needs none of the handlers' dependencies.
 * - In this repository the construct runs from lib/*.ts; there is no lambda-bundles/ next to it, and
 *   NodejsFunction bundles lambda/<name>.ts at synth as it always did. A stale dist/ never leaks in.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Folder of the pre-bundled handlers, a sibling of lib/ (dist/lambda-bundles in the package). */
export const LAMBDA_BUNDLES_DIR = 'lambda-bundles';
/** Every handler exports `handler`; a pre-built bundle is its folder's index.js. */
const HANDLER_EXPORT = 'handler';

const ROOT = path.join(__dirname, '..');

/** The NodejsFunction props that say where a handler's code is: a pre-built asset, or a source entry to bundle. */
export type HandlerCode =
  | { readonly code: lambda.Code; readonly handler: string }
  | { readonly entry: string; readonly handler: string; readonly bundling: BundlingOptions };

/** `entryFile` is a file under lambda/ (`worker.ts`); its bundle is lambda-bundles/worker/index.js. */
export function handlerCode(entryFile: string, bundling: BundlingOptions): HandlerCode {
  const name = path.basename(entryFile, path.extname(entryFile));
  const bundleDir = path.join(ROOT, LAMBDA_BUNDLES_DIR, name);
  if (existsSync(path.join(bundleDir, 'index.js'))) {
    return { code: lambda.Code.fromAsset(bundleDir), handler: `index.${HANDLER_EXPORT}` };
  }
  const entry = path.join(ROOT, 'lambda', entryFile);
  if (!existsSync(entry)) {
    throw new Error(`sfn-autoredrive: no Lambda code for ${name}: neither ${bundleDir}/index.js nor ${entry} exists (the package is built with \`npm run build:dist\`)`);
  }
  return { entry, handler: HANDLER_EXPORT, bundling };
}

/**
 * esbuild writes a source map's `sources` relative to the folder it bundles into: the CDK staging
 * folder at synth (`../../../<your checkout>/lambda/worker.ts`), dist/lambda-bundles/<name> for the
 * package (`../../../lambda/worker.ts`). Rewritten relative to the project root (`lambda/worker.ts`),
 * the map is the same wherever it was built, so a synth from source and the package's pre-built asset
 * keep one asset hash, and it names no folder of the build machine. In the Lambda a frame then reads
 * `/var/task/core/config.ts:200:20`. One Node one-liner (no single quotes, for the shell) serves the
 * CDK bundling hook and scripts/lambda-bundles.ts.
 */
const PROJECT_RELATIVE_SOURCES_JS = [
  'const fs = require("node:fs"), path = require("node:path");',
  'const [mapFile, root] = process.argv.slice(1);',
  'const map = JSON.parse(fs.readFileSync(mapFile, "utf8"));',
  'map.sources = map.sources.map((s) => path.relative(root, path.resolve(path.dirname(mapFile), s)).split(path.sep).join("/"));',
  'fs.writeFileSync(mapFile, JSON.stringify(map));',
].join(' ');

/** `node` arguments that rewrite `mapFile`'s sources relative to the project root. */
export function projectRelativeSourcesArgs(mapFile: string): string[] {
  return ['-e', PROJECT_RELATIVE_SOURCES_JS, mapFile, ROOT];
}

/** The same, as a shell command for NodejsFunction's afterBundling hook (run by bash when bundling locally). */
export function projectRelativeSourcesCommand(mapFile: string): string {
  const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
  return [process.execPath, ...projectRelativeSourcesArgs(mapFile)].map(quote).join(' ');
}
