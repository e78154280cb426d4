import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { loadModel } from '../../src/node/load.js';
import { explainFiles } from '../../src/node/explain-files.js';
import { writeReport, writeRunInfo } from '../../src/node/report.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/cam/index.js';
import '../../src/methods/perturbation/index.js';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium.js';

test('report.html is self-contained and renders in headless Chromium without console errors', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lumen-report-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const model = await loadModel('models/fashion-cnn.onnx');
  const files = ['samples/fashion/1-trouser.png', 'samples/fashion/9-ankle-boot.png'];
  await writeRunInfo(model, 'models/fashion-cnn.onnx', out);
  const result = await explainFiles(model, files, {
    methods: [getMethod('gradcam'), getMethod('occlusion')],
    targets: ['top1'],
    methodOptions: () => ({}),
    outDir: out,
    score: true,
  });
  await model.dispose();
  assert.equal(result.failed, 0);
  const path = writeReport(out, { title: 'test report' });
  const html = readFileSync(path, 'utf8');
  // Self-contained: images inline, nothing fetched.
  assert.doesNotMatch(html, /(src|href)="(https?:|\/\/)/);
  assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 2 + 4, 'two inputs + 2 images × 2 methods');
  assert.match(html, /deletion ↓/);
  assert.match(html, /insertion ↑/);
  assert.match(html, /Trouser/);
  // a method's known limit comes from its own metadata (MethodInfo.caveat): Grad-CAM has one, Occlusion none
  assert.ok(getMethod('gradcam').info.caveat && getMethod('occlusion').info.caveat === undefined);
  assert.deepEqual(html.match(/<em>Limit: [^<]*<\/em>/g), [`<em>Limit: ${getMethod('gradcam').info.caveat}</em>`]);

  requireChromium();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const requests: string[] = [];
    page.on('request', (r) => !r.url().startsWith('file:') && !r.url().startsWith('data:') && requests.push(r.url()));
    await page.goto(pathToFileURL(path).href);
    const loaded = await page.$$eval('img', (imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length);
    assert.equal(loaded, 6, 'every inline image decodes');
    assert.equal(await page.locator('svg').count(), 4, 'one deletion/insertion chart per explanation');
    const shot = join(out, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot));
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  } finally {
    await browser.close();
  }
});
