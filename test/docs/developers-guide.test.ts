/**
 * DEVELOPERS.md's "Where each concept lives" tells a newcomer which files to touch (issue 22). When a file it names is
 * moved or a function it names is renamed, the table goes stale without anyone noticing: this test fails instead,
 * naming what the table mentions and the code no longer has.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const guide = readFileSync('DEVELOPERS.md', 'utf8');
const section = guide.slice(guide.indexOf('## Where each concept lives'), guide.indexOf('\n## ', guide.indexOf('## Where each concept lives') + 1));
/** The `code` spans of the section. */
const spans = [...section.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []));
}

test("DEVELOPERS.md 'Where each concept lives': every path it names exists", () => {
  assert.ok(section.length > 5000, 'the section was not found');
  const paths = [...new Set(spans.filter((s) => /^(src|test|web|scripts|docs)\//.test(s) && !s.includes('<')))];
  assert.ok(paths.length >= 60, `${paths.length} paths`);
  assert.deepEqual(paths.filter((p) => !existsSync(p)), [], 'paths named in the table that do not exist');
});

test("DEVELOPERS.md 'Where each concept lives': every function, type or constant it names occurs in the code", () => {
  const code = ['src', 'web/src', 'scripts', 'test'].flatMap(sources).map((f) => readFileSync(f, 'utf8')).join('\n');
  // `registerOp('Op', traits, rule)` → registerOp, `model.compile(key, build)` → compile, `OptionValues<S>` → OptionValues
  const names = new Set(spans.flatMap((s) => {
    const m = /^(?:\w+\.)?([A-Za-z_$][\w$]*)(?:\(.*\)|<.*>)?$/.exec(s);
    return m ? [m[1]!] : [];
  }));
  assert.ok(names.size >= 80, `${names.size} names`);
  const words = new Set(code.match(/[A-Za-z_$][\w$]*/g));
  assert.deepEqual([...names].filter((n) => !words.has(n)), [], 'names in the table that no source file contains');
});
