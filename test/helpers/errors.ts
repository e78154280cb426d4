import assert from 'node:assert/strict';
import { LumenError } from '../../src/errors.js';

/**
 * The message of what `f` throws (sync or async), checked to be a BAD_OPTION LumenError unless `lumen` is false (the
 * web forms throw plain Errors); fails when nothing is thrown. For the tests that compare option messages across
 * entry points.
 */
export async function messageOf(f: () => unknown, lumen = true): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (lumen) assert.ok(e instanceof LumenError && e.code === 'BAD_OPTION', String(e));
    return (e as Error).message;
  }
  assert.fail('no error');
}
