import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { glob } from 'tinyglobby';
import { CHROMIUM, CHROMIUM_ARGS as CHROMIUM_ARGS_LOCAL } from '../../src/node/chromium.js';
import { buildWebApp, serveWebApp, type WebAppServer } from '../../src/node/serve.js';

export { CHROMIUM, CHROMIUM_ARGS, hasChromium } from '../../src/node/chromium.js';

/** Browser tests need Debian's Chromium: its absence fails them (never a skip). DEVELOPERS.md, "Browser tests". */
export function requireChromium(): void {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install it with 'apt-get update && apt-get install -y chromium' (CI's .ci/run does this)`);
}

/**
 * The web app built from the current sources, shared by every browser test file: one Vite build (≈10 s) per content
 * hash of `src/`, `web/` (but `web/dist`) and the lockfile, kept in the system temp dir, so the suite builds once
 * instead of once per file. A build goes to a private folder and is renamed into place, so two test processes
 * building at once never see half a build. `LUMEN_E2E_REUSE_BUILD=1` serves the existing `web/dist` instead.
 */
export async function webAppDist(): Promise<string> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (process.env.LUMEN_E2E_REUSE_BUILD === '1' && existsSync(join(root, 'web', 'dist', 'index.html'))) return join(root, 'web', 'dist');
  const hash = createHash('sha256');
  const files = (await glob(['src/**/*', 'web/**/*', 'package-lock.json'], { cwd: root, ignore: ['web/dist/**'], onlyFiles: true })).sort();
  for (const f of files) hash.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
  const dist = join(tmpdir(), `lumen-web-build-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(dist, 'index.html'))) return dist;
  const building = mkdtempSync(`${dist}.building-`);
  await buildWebApp(undefined, building);
  try {
    renameSync(building, dist);
  } catch {
    rmSync(building, { recursive: true, force: true }); // another process finished the same build first
  }
  return dist;
}

/** Serves `root` on loopback and opens it in headless Chromium; page errors and console errors are collected. */
export async function openWebApp(root: string, options: BrowserContextOptions = {}): Promise<{ server: WebAppServer; browser: Browser; page: Page; pageErrors: string[]; close(): Promise<void> }> {
  const server = await serveWebApp({ port: 0, root });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS_LOCAL });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...options });
  const pageErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  return { server, browser, page, pageErrors, close: async () => { await browser.close(); await server.close(); } };
}
