// `npm test`: type-check the whole project, then run jest. Extra arguments go to jest.
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
const typeCheck = run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.json']);
if (typeCheck !== 0) {
  console.error('Type check failed (tsc --noEmit).');
}
const jest = run('node_modules/.bin/jest', process.argv.slice(2));
process.exit(typeCheck !== 0 ? typeCheck : jest);
