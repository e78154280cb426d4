#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's test runner through tsx (Node 20's --test does not expand globs).
// Extra arguments are passed through (e.g. a path filter: `npm test -- test/core`).
import { spawnSync } from 'node:child_process';
import { glob } from 'tinyglobby';

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = (await glob('test/**/*.test.ts', { onlyFiles: true })).sort().filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
