/**
 * `npm run build:dist` (also run by `npm pack` / `npm publish` through `prepack`): the package's dist/.
 *
 *   dist/lib, core, adapters, engine, ...   tsc -p tsconfig.build.json: CommonJS + .d.ts
 *   dist/lambda-bundles/<name>/index.js     each lambda/<name>.ts bundled with the construct's options;
 *                                           the compiled construct deploys these (lib/lambda-code.ts)
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { LAMBDA_BUNDLES_DIR } from '../lib/lambda-code';
import { bundleLambda, lambdaEntries } from './lambda-bundles';

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
for (const entry of lambdaEntries()) {
  bundleLambda(entry, path.join(DIST, LAMBDA_BUNDLES_DIR, path.basename(entry, '.ts'), 'index.js'));
}
