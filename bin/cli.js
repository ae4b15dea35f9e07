#!/usr/bin/env -S node --max-semi-space-size=1 --max-old-space-size=128
// V8 flags: a bulk run allocates fast and V8 would let the heap grow to ~190 MB of garbage; a small young
// generation and an old-generation ceiling keep a 100,000-execution run under ~100 MB (docs/BENCHMARKS.md).
// The package bin. In a clone it runs the TypeScript entry point through tsx (so `npm ci` is enough and an
// old dist/ is never used); the published package ships no TypeScript and runs the compiled dist/bin/cli.js.
// The SDK's notice that 2027 releases need Node 22 is not something an operator can act on mid-incident.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
if (require('node:fs').existsSync(require('node:path').join(__dirname, 'cli.ts'))) {
  require('tsx/cjs');
  require('./cli.ts');
} else {
  require('../dist/bin/cli.js');
}
