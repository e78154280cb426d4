/**
 * docs/methods.md is generated from the metadata (scripts/gen-method-docs.ts): adding or changing a method, a concept
 * method or a metric needs no hand edit there, only a regeneration, and this test says when one is missing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { methodDocs } from '../../scripts/gen-method-docs.js';

test('docs/methods.md is what scripts/gen-method-docs.ts writes from the current metadata', () => {
  const committed = readFileSync('docs/methods.md', 'utf8');
  const generated = methodDocs();
  if (committed !== generated) {
    const a = committed.split('\n');
    const b = generated.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    assert.fail(`docs/methods.md is stale from line ${line + 1} (run: npx tsx scripts/gen-method-docs.ts)\n  file:      ${a[line]}\n  generated: ${b[line]}`);
  }
});
