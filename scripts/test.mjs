// `npm test`: type-check the whole project, then run jest. Extra arguments go to jest.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

// This machine runs Node 20; the SDK's "Node 22 from 2027" notice would repeat in every worker's output.
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

const typeCheck = run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.json']);
const jest = run('node_modules/.bin/jest', process.argv.slice(2));

const summaryFile = '.test-results/summary.txt';
if (typeCheck !== 0) {
  console.error('Type check failed (tsc --noEmit): counted as one failed test.');
  const match = existsSync(summaryFile) ? /(\d+) passed, (\d+) failed/.exec(readFileSync(summaryFile, 'utf8')) : null;
  const line = `${match ? match[1] : 0} passed, ${(match ? Number(match[2]) : 0) + 1} failed`;
  writeFileSync(summaryFile, `${line}\n`);
  console.log(line);
}
process.exit(typeCheck !== 0 ? typeCheck : jest);
