/** Flag values read once (src/cli/flags.ts): the file a flag names. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LumenError } from '../../src/errors.js';
import { readFlagFile } from '../../src/cli/flags.js';
import { metadataFromFlags } from '../../src/cli/model-options.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-flags-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (code: string, exitCode: number, text: RegExp) => (e: unknown): boolean =>
  e instanceof LumenError && e.code === code && e.exitCode === exitCode && text.test(e.message);

test('readFlagFile: the text of a regular file; empty, missing, a folder or a device refused in one wording', () => {
  writeFileSync(join(dir, 'a.json'), '{"x": 1}');
  mkdirSync(join(dir, 'folder'));
  assert.equal(readFlagFile('--regions', join(dir, 'a.json'), 'JSON file'), '{"x": 1}');
  assert.throws(() => readFlagFile('--regions', ' ', 'JSON file'), refused('BAD_OPTION', 2, /^--regions: an empty value; give a JSON file$/));
  assert.throws(() => readFlagFile('--regions', join(dir, 'none.json'), 'JSON file'), refused('FILE_NOT_FOUND', 1, /^--regions file not found: .*none\.json$/));
  assert.throws(() => readFlagFile('--regions', join(dir, 'folder'), 'JSON file'), refused('BAD_OPTION', 2, /^--regions .*folder: a folder, not a JSON file$/));
  assert.throws(() => readFlagFile('--regions', '/dev/zero', 'JSON file'), refused('BAD_OPTION', 2, /^--regions \/dev\/zero: not a regular file; give a JSON file$/));
  // --classes reads a file through it when one exists (else the value is a list of names)
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'folder') }), refused('BAD_OPTION', 2, /^--classes .*folder: a folder, not a file of class names \(JSON or text\)$/));
  assert.throws(() => metadataFromFlags({ classes: '/dev/zero' }), refused('BAD_OPTION', 2, /^--classes \/dev\/zero: not a regular file; give a file of class names \(JSON or text\)$/));
});
