/**
 * The published package as a team that composes its own stack gets it: `npm pack` (which builds dist/
 * through `prepack`), the tarball installed offline into a scratch CDK app outside the repository, a
 * TypeScript app compiled against the shipped declarations (`import { AutoRedrive } from 'sfn-autoredrive'`)
 * and synthesized with plain `node`. Slow by nature (a build, an install of aws-cdk-lib, two synths).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { AutoRedrive } from '../../lib/auto-redrive';
import type { AutoRedriveProps } from '../../lib/auto-redrive-props';
import { CDK_JSON_CONTEXT, cleanUpApps, testApp } from '../lib/synth';
import { isAlive } from '../support/processes';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const HANDLERS = ['worker', 'sweep', 'slack-notifier'];
/** All three Lambdas: the sweep is on by default, the Slack notifier comes with a webhook secret. */
const PROPS: AutoRedriveProps = {
  watch: { stateMachineNamePrefixes: ['orders-'] },
  alerts: { slackWebhookSecretName: 'sfn-autoredrive/slack' },
};

interface PackageJson {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}
interface LockEntry {
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
interface PackResult {
  filename: string;
  size: number;
  integrity: string;
  files: { path: string }[];
}
type Template = { Resources: Record<string, { Type: string; Properties: { Code?: { S3Key: string } } }> };

/** npm in the scratch app must not inherit `npm test`'s npm_* settings (prefix, lifecycle, ...). */
const npmEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: npmEnv, maxBuffer: 64 * 1024 * 1024 });

/**
 * `npm pack` rebuilds dist/ in the checkout (`prepack` deletes it first), so two test runs in one checkout
 * would pack each other's half-built dist/. One packs at a time: a lock directory holding the owner's pid,
 * taken over when that process is gone.
 */
async function oneAtATime<T>(name: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(ROOT, '.test-results', `${name}.lock`);
  const owner = path.join(lock, 'pid');
  mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(existsSync(owner) ? readFileSync(owner, 'utf8') : NaN);
      if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * The consumer's lock: the package (the tarball) and exactly the versions of its dependencies and peers
 * that this repository's lock pins and its tests ran with. The npm cache holds all of them; without a lock
 * npm 11 asks for full registry metadata, which an offline cache may not have.
 */
function consumerLock(tarball: string, integrity: string): object {
  const packages = (JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  /** Node's lookup: node_modules/<name> in the package's own folder, then in each enclosing one. */
  const locate = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!dir) return undefined;
    }
  };
  const needed = new Set<string>();
  const visit = (from: string, deps: Record<string, string> | undefined, optional: boolean) => {
    for (const name of Object.keys(deps ?? {})) {
      const at = locate(from, name);
      if (at === undefined && !optional) throw new Error(`${name} (needed by ${from || PKG.name}) is not in package-lock.json`);
      if (at === undefined || needed.has(at)) continue;
      needed.add(at);
      const entry = packages[at];
      visit(at, entry.dependencies, false);
      visit(at, entry.optionalDependencies, true);
      visit(at, entry.peerDependencies, true);
    }
  };
  visit('', { ...PKG.dependencies, ...PKG.peerDependencies }, false);
  const { name, version, license, bin, engines, dependencies, peerDependencies } = PKG;
  const lockPackages: Record<string, object> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { [name]: `file:${tarball}` } },
    [`node_modules/${name}`]: { version, resolved: `file:${tarball}`, integrity, license, dependencies, bin, engines, peerDependencies },
  };
  for (const at of [...needed].sort()) {
    const { dev, ...entry } = packages[at];
    lockPackages[at] = entry;
  }
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages: lockPackages };
}

const CONSUMER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import { AutoRedrive, parseConfig, type AutoRedriveProps } from '${PKG.name}';

const props: AutoRedriveProps = ${JSON.stringify(PROPS)};
// The declarations are real types, not \`any\`: a wrong option does not compile.
// @ts-expect-error maxAttempts is a number
const wrong: AutoRedriveProps = { maxAttempts: 'three' };
void wrong;
const maxAttempts: number = parseConfig(props).maxAttempts;
const app = new App({ outdir: 'cdk.out' });
new AutoRedrive(new Stack(app, 'Consumer'), 'AutoRedrive', { ...props, maxAttempts });
app.synth();
`;

describe('the npm package', () => {
  let scratch: string;
  let packed: PackResult;
  const installed = (...parts: string[]) => path.join(scratch, 'node_modules', ...parts);

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'sfn-autoredrive-consumer-'));
    const { stdout } = await oneAtATime('npm-pack', () => npm(['pack', '--json', '--pack-destination', scratch], ROOT));
    [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as PackResult[];

    writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, dependencies: { [PKG.name]: `file:${packed.filename}` } }));
    writeFileSync(path.join(scratch, 'package-lock.json'), JSON.stringify(consumerLock(packed.filename, packed.integrity)));
    await npm(['ci', '--offline', '--no-audit', '--no-fund'], scratch);

    // The consumer's own TypeScript (here the repo's compiler and @types/node) against the shipped .d.ts.
    writeFileSync(path.join(scratch, 'app.ts'), CONSUMER_APP);
    writeFileSync(path.join(scratch, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true,
        typeRoots: [path.join(ROOT, 'node_modules', '@types')], types: ['node'], outDir: 'out',
      },
      files: ['app.ts'],
    }));
    await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch], { cwd: scratch });
    // Synthesized with the feature flags a `cdk init` app carries, as `cdk synth` would pass them from its
    // cdk.json: the same context the source-side testApp uses (this repository's cdk.json).
    await run(process.execPath, ['out/app.js'], { cwd: scratch, env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(CDK_JSON_CONTEXT) } });
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    cleanUpApps();
  });

  it('ships the compiled construct, CLI and pre-bundled Lambdas, and no sources, tests or local files', () => {
    const files = packed.files.map((f) => f.path);
    // Each pre-built bundle ships its source map beside it, for readable stack traces; the local stack
    // holds `serve`'s operator to the policy docs/operating.md lists.
    const shipped = ['bin/cli.js', 'package.json', 'README.md', 'dist/docs/operator-policy.json'];
    const unexpected = files.filter(
      (f) => !/^dist\/.+\.(js|d\.ts)$/.test(f) && !/^dist\/lambda-bundles\/[^/]+\/index\.js\.map$/.test(f) && !shipped.includes(f),
    );
    expect(unexpected).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/bin/cli.js', ...HANDLERS.flatMap((h) => [`dist/lambda-bundles/${h}/index.js`, `dist/lambda-bundles/${h}/index.js.map`])]),
    );
    // About 800 KB (2026-11-30): four Lambda bundles of 155-210 KB, each with a 250-300 KB source map, and the
    // local stack's emulator (~470 KB before packing). A jump beyond the bound means something unintended got in.
    expect(packed.size).toBeLessThan(900 * 1024);
  });

  it('installs with aws-cdk-lib and constructs as peers and without esbuild, tsx or cdk-nag', () => {
    for (const peer of ['aws-cdk-lib', 'constructs']) expect(existsSync(installed(peer, 'package.json'))).toBe(true);
    for (const devOnly of ['esbuild', 'tsx', 'cdk-nag', 'typescript']) expect(existsSync(installed(devOnly))).toBe(false);
  });

  it('synthesizes the same template as the construct from source, deploying the pre-built bundles', () => {
    const consumer = JSON.parse(readFileSync(path.join(scratch, 'cdk.out', 'Consumer.template.json'), 'utf8')) as Template;
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': ['**'] } });
    const stack = new Stack(app, 'Consumer');
    new AutoRedrive(stack, 'AutoRedrive', PROPS);
    const fromSource = app.synth().getStackByName('Consumer').template as Template;
    expect(consumer).toEqual(fromSource);

    // Each function's asset is the package's bundle, byte for byte: esbuild did not run at the consumer's synth.
    const assets = Object.values(consumer.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => r.Properties.Code!.S3Key.replace(/\.zip$/, ''));
    expect(assets).toHaveLength(HANDLERS.length);
    const shipped = HANDLERS.map((h) => readFileSync(installed(PKG.name, 'dist', 'lambda-bundles', h, 'index.js'), 'utf8')).sort();
    const deployed = assets.map((hash) => readFileSync(path.join(scratch, 'cdk.out', `asset.${hash}`, 'index.js'), 'utf8')).sort();
    expect(deployed).toEqual(shipped);
  }, 5 * 60_000);

  it('runs the CLI bin from the compiled code', async () => {
    const { stdout } = await run(installed('.bin', 'sfn-autoredrive'), ['--help'], { cwd: scratch });
    expect(stdout).toContain('Usage: sfn-autoredrive');
  });
});
