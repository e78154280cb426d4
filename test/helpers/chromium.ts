import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CHROMIUM } from '../../src/node/chromium.js';

export { CHROMIUM, CHROMIUM_ARGS, hasChromium } from '../../src/node/chromium.js';

/** Browser tests need Debian's Chromium: its absence fails them (never a skip). DEVELOPERS.md, "Browser tests". */
export function requireChromium(): void {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium' (CI's .ci/run does this)`);
}
