#!/usr/bin/env node
// The package bin: runs the TypeScript entry point through tsx, so a clean clone works after `npm ci`.
// The SDK's notice that 2027 releases need Node 22 is not something an operator can act on mid-incident.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./cli.ts');
