/**
 * docs/methods.md is generated from the metadata (scripts/gen-method-docs.ts): adding or changing a method, a concept
 * method or a metric needs no hand edit there, only a regeneration, and this test says when one is missing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { familyPage, methodDocs, methodFamilies } from '../../scripts/gen-method-docs.js';

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

test('every method family has its page docs/methods-<family>.md, linked from docs/methods.md (DEVELOPERS.md: a new method gets a section there)', () => {
  const families = methodFamilies();
  assert.ok(families.length >= 4, families.join(', '));
  for (const f of families) assert.ok(existsSync(`docs/${familyPage(f)}`), `family '${f}': docs/${familyPage(f)} is missing`);
  // and every page docs/methods.md links to exists
  for (const [, target] of methodDocs().matchAll(/\]\(([^)#]+\.md)\)/g)) assert.ok(existsSync(`docs/${target}`), `docs/methods.md links to docs/${target}, which does not exist`);
});
