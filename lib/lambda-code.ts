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
