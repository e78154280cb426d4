/**
 * docs/autodiff.md's trait table ("Adding an op") says which part of Lumen reads each op trait. The traits themselves
 * live once, in `OpTraits` (src/autodiff/registry.ts); this test fails when a trait or an op kind is added there and
 * the table does not name it (a newcomer reading the table would not know it exists).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const registry = readFileSync('src/autodiff/registry.ts', 'utf8');
const doc = readFileSync('docs/autodiff.md', 'utf8');

/** The rows of the table under '| trait | read by |'. */
function traitRows(): string[] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| trait | read by |'));
  assert.ok(start >= 0, "docs/autodiff.md has no '| trait | read by |' table");
  const rows: string[] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l);
  }
  return rows;
}

test('docs/autodiff.md names every field of OpTraits and every OpKind in its trait table', () => {
  const body = /export interface OpTraits \{([\s\S]*?)\n\}/.exec(registry)?.[1];
  assert.ok(body, 'OpTraits not found in src/autodiff/registry.ts');
  const fields = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1]!);
  assert.ok(fields.length >= 20, fields.join(', '));
  const kinds = [...(/export type OpKind =([\s\S]*?);\n/.exec(registry)?.[1] ?? '').matchAll(/\| '([\w-]+)'/g)].map((m) => m[1]!);
  assert.ok(kinds.length >= 10, kinds.join(', '));
  const rows = traitRows();
  const named = new Set(rows.flatMap((r) => [...r.split(' | ')[0]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!)));
  assert.deepEqual(fields.filter((f) => !named.has(f)), [], 'OpTraits fields without a row in docs/autodiff.md');
  const kindRow = rows.find((r) => r.startsWith('| `kind`')) ?? '';
  assert.deepEqual(kinds.filter((k) => !kindRow.includes(`'${k}'`)), [], "OpKind values missing from the 'kind' row");
});
