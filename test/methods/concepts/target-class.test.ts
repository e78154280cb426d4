/** The class a concept target field names, read once (conceptTargetClass) for lumen tcav/craft --target and the web app's target fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenError } from '../../../src/errors.js';
import { conceptTargetClass } from '../../../src/methods/concepts/registry.js';
import type { LumenModel } from '../../../src/model.js';

const model = (classNames?: string[]): LumenModel => ({ classNames }) as unknown as LumenModel;
const refused = (text: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.code === 'TARGET_RANGE' && e.exitCode === 2 && text.test(e.message);

test('conceptTargetClass: an index or a class name (trimmed); anything else refused naming the field and the names', () => {
  const names = Array.from({ length: 12 }, (_, i) => `c${i}`);
  assert.equal(conceptTargetClass(model(names), ' 7 ', '--target'), 7);
  assert.equal(conceptTargetClass(model(names), ' c11 ', '--target'), 11);
  assert.throws(() => conceptTargetClass(model(names), 'dog', '--target'), refused(/^--target 'dog': not a class index or one of the class names \(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, …\)$/));
  assert.throws(() => conceptTargetClass(model(), 'dog', 'TCAV target class'), refused(/^TCAV target class 'dog': not a class index \(the model has no class names\)$/));
});
