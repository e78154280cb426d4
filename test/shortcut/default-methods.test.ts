/** Issue 22, no silent skips: the shortcut benchmark's default methods are all registered; a renamed one fails by name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LumenError } from '../../src/errors.js';
import { SHORTCUT_METHODS, shortcutMethods } from '../../src/node/shortcut.js';

test('the shortcut default method list is SHORTCUT_METHODS, every id registered (none dropped)', async () => {
  assert.deepEqual(await shortcutMethods(), [...SHORTCUT_METHODS]);
  assert.equal(SHORTCUT_METHODS.length, 24);
  // an unknown id is an error naming it, as a renamed method would be
  await assert.rejects(shortcutMethods(['gradcam', 'grad-cam-renamed']), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_METHOD' && /grad-cam-renamed/.test(e.message));
});
