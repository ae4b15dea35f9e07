#!/usr/bin/env node
// The package bin: runs the TypeScript entry point through tsx, so a clean clone works after `npm ci`.
require('tsx/cjs');
require('./cli.ts');
