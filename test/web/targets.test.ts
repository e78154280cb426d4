// The web app's typed target (docs/targets.md): tiny_segnet and a photo picked through the file inputs, `seg:1`
// typed in the target field, Grad-CAM in the browser equal to the Node API on the same segmentation target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { buildWebApp, serveWebApp, type WebAppServer } from '../../src/node/serve.js';
import { loadModel } from '../../src/node/load.js';
import { loadInput } from '../../src/node/inputs.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod } from '../../src/methods/registry.js';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Hook {
  ready: boolean;
  busy: boolean;
  runs: number;
  errors: string[];
  model(): { name: string } | undefined;
  input(): { dims: number[] } | undefined;
  results(): { method: string; target: number; layer?: string; attribution: number[] }[];
}
// the page's test hook (typed here only: test/web/e2e.test.ts declares its own Window.__lumen)
type PageWindow = { __lumen?: Hook };

test('web app: typed targets (seg:1 on tiny_segnet, det:box on the trained shapes detector) equal the Node API', { timeout: 600_000 }, async (t) => {
  requireChromium();
  await loadAllMethods();
  const dist = mkdtempSync(join(tmpdir(), 'lumen-web-targets-'));
  let server: WebAppServer | undefined;
  let browser: Browser | undefined;
  try {
    await buildWebApp(undefined, dist);
    server = await serveWebApp({ port: 0, root: dist });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen?.ready === true, undefined, { timeout: 180_000 });
    const modelPath = join(ROOT, 'conformance', 'models', 'tiny_segnet.onnx');
    const imagePath = join(ROOT, 'conformance', 'inputs', 'chelsea64.png');
    await page.setInputFiles('#model-file', modelPath);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.model()?.name === 'tiny_segnet.onnx', undefined, { timeout: 120_000 });
    await page.setInputFiles('#image-files', imagePath);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.input()?.dims.join(',') === '1,3,64,64', undefined, { timeout: 60_000 });
    for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
    await page.locator('#method-gradcam').check();
    await page.locator('#with-metrics').uncheck();
    await page.locator('#target-spec').fill('seg:1');
    const before = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.runs);
    await page.locator('#run').click();
    await page.waitForFunction((n) => (window as unknown as PageWindow).__lumen!.runs > n && !(window as unknown as PageWindow).__lumen!.busy, before, { timeout: 300_000 });
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageWindow).__lumen!.errors), [], 'the app reported errors');
    assert.deepEqual(pageErrors, []);
    const [result] = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.results());
    assert.ok(result, 'no result');
    assert.equal(result.target, 1);
    // the trained shapes detector (a raw YOLOv5-style head) with the ground-truth box of the picture
    const detPath = join(ROOT, 'models', 'shapes-det.onnx');
    const detImage = join(ROOT, 'samples', 'shapes', '001-square.png');
    await page.setInputFiles('#model-file', detPath);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.model()?.name === 'shapes-det.onnx', undefined, { timeout: 120_000 });
    await page.setInputFiles('#image-files', detImage);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.input()?.dims.join(',') === '1,3,64,64', undefined, { timeout: 60_000 });
    await page.locator('#target-spec').fill('det:box=44,37,60,52');
    const before2 = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.runs);
    await page.locator('#run').click();
    await page.waitForFunction((n) => (window as unknown as PageWindow).__lumen!.runs > n && !(window as unknown as PageWindow).__lumen!.busy, before2, { timeout: 300_000 });
    assert.deepEqual(await page.evaluate(() => (window as unknown as PageWindow).__lumen!.errors), [], 'the app reported errors (detector)');
    const [detResult] = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.results());
    assert.ok(detResult, 'no detector result');
    assert.equal(detResult.target, 1, 'the square (class 1) is detected in the box');
    const det = await loadModel(detPath);
    try {
      const { tensor } = await loadInput(detImage, det);
      const node = (await getMethod('gradcam').explain(det, tensor, { target: { kind: 'detection', box: { x0: 44, y0: 37, x1: 60, y1: 52 } }, ...(detResult.layer ? { layer: detResult.layer } : {}) })).attribution;
      let diff = 0;
      let scale = 0;
      node.data.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - detResult.attribution[i]!));
        scale = Math.max(scale, Math.abs(v));
      });
      t.diagnostic(`shapes-det gradcam det:box: max|browser − node| / max|node| = ${(diff / scale).toExponential(2)}`);
      assert.ok(diff / scale <= 1e-4, `detector: browser vs node ${diff / scale}`);
    } finally {
      await det.dispose();
    }
    const model = await loadModel(modelPath);
    try {
      const { tensor } = await loadInput(imagePath, model);
      const node = (await getMethod('gradcam').explain(model, tensor, { target: { kind: 'segmentation', category: 1 }, ...(result.layer ? { layer: result.layer } : {}) })).attribution;
      let diff = 0;
      let scale = 0;
      node.data.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - result.attribution[i]!));
        scale = Math.max(scale, Math.abs(v));
      });
      t.diagnostic(`tiny_segnet gradcam seg:1: max|browser − node| / max|node| = ${(diff / scale).toExponential(2)}`);
      assert.ok(diff / scale <= 1e-4, `browser vs node ${diff / scale}`);
    } finally {
      await model.dispose();
    }
  } finally {
    await browser?.close();
    await server?.close();
    rmSync(dist, { recursive: true, force: true });
  }
});
