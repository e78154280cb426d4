// The web app's typed target (docs/targets.md): tiny_segnet and a photo picked through the file inputs, `seg:1`
// typed in the target field, Grad-CAM in the browser equal to the Node API on the same segmentation target; file
// targets (a mask .npy and .png, an embedding reference image) picked through their inputs; the class map and the
// detector's boxes after NMS drawn under Predictions equal to structuredPrediction in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/node/load.js';
import { loadInput } from '../../src/node/inputs.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod } from '../../src/methods/registry.js';
import { openWebApp, requireChromium, webAppDist } from '../helpers/chromium.js';
import { writePng } from '../../src/node/image-file.js';
import { readMaskFile } from '../../src/node/target-files.js';
import { forwardScores, forwardTarget, resolveBatchTargets, structuredPrediction, TARGET_SYNTAX_TEXT, type TargetSpec } from '../../src/targets/index.js';
import { classColor } from '../../src/render/class-map.js';
import type { Page } from 'playwright-core';
import type { LumenModel } from '../../src/model.js';
import type { Tensor } from '../../src/tensor.js';
import type { TestHook } from '../../web/src/test-hook.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Press Explain and wait for the run; returns its first result (errors of the app fail the test). */
async function runOnce(page: Page, what: string): Promise<{ target: number; layer?: string; attribution: number[] }> {
  const before = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.runs);
  await page.locator('#run').click();
  await page.waitForFunction((n) => (window as unknown as PageWindow).__lumen!.runs > n && !(window as unknown as PageWindow).__lumen!.busy, before, { timeout: 300_000 });
  assert.deepEqual(await page.evaluate(() => (window as unknown as PageWindow).__lumen!.errors), [], `the app reported errors (${what})`);
  const [r] = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.results());
  assert.ok(r, `no result (${what})`);
  return r;
}

/** The objects canvas under Predictions, RGB per pixel. */
async function objectsPixels(page: Page): Promise<{ width: number; height: number; rgb: number[] }> {
  return page.evaluate(() => {
    const c = document.getElementById('objects-canvas') as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const rgb: number[] = [];
    for (let p = 0; p < c.width * c.height; p++) rgb.push(d[4 * p]!, d[4 * p + 1]!, d[4 * p + 2]!);
    return { width: c.width, height: c.height, rgb };
  });
}

/** max|browser − node| / max|node| of Grad-CAM on the same target. */
async function gradcamGap(model: LumenModel, input: Tensor, target: TargetSpec, browser: { layer?: string; attribution: number[] }): Promise<number> {
  const node = (await getMethod('gradcam').explain(model, input, { target, ...(browser.layer ? { layer: browser.layer } : {}) })).attribution;
  let diff = 0;
  let scale = 0;
  node.data.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - browser.attribution[i]!));
    scale = Math.max(scale, Math.abs(v));
  });
  assert.ok(scale > 0, 'a non-zero Grad-CAM map');
  return diff / scale;
}
// the page's test hook (web/src/test-hook.ts), typed here only: test/web/e2e.test.ts declares Window.__lumen
type PageWindow = { __lumen?: TestHook };

test('web app: typed targets (seg:1 on tiny_segnet, det:box on the trained shapes detector) equal the Node API', { timeout: 600_000 }, async (t) => {
  requireChromium();
  await loadAllMethods();
  const dist = await webAppDist();
  const app = await openWebApp(dist);
  try {
    const { server, page, pageErrors } = app;
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen?.ready === true, undefined, { timeout: 180_000 });
    // the typed target's hint is spec.ts's TARGET_SYNTAX_TEXT (index.html no longer writes its own, shorter copy)
    assert.equal(await page.locator('#target-help').textContent(), `${TARGET_SYNTAX_TEXT} (docs/targets.md).`);
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
    // the class map under Predictions = Node's structuredPrediction; its canvas paints each pixel in its category's colour
    const segModel = await loadModel(modelPath);
    try {
      const { tensor: segInput } = await loadInput(imagePath, segModel);
      const want = structuredPrediction((await forwardTarget(segModel, segInput)).values, 0);
      assert.ok(want && want.kind === 'segmentation');
      const shown = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.structured());
      assert.equal(shown?.kind, 'segmentation');
      let differ = 0;
      want.map.forEach((k, p) => (differ += shown!.map![p] === k ? 0 : 1));
      t.diagnostic(`tiny_segnet class map: ${differ} of ${want.map.length} pixels differ between browser and Node; categories ${JSON.stringify(shown!.categories)}`);
      assert.equal(differ, 0);
      const px = await objectsPixels(page);
      assert.deepEqual([px.width, px.height], [64, 64]);
      let wrong = 0;
      want.map.forEach((k, p) => (wrong += classColor(k).every((v, c) => px.rgb[3 * p + c] === v) ? 0 : 1));
      assert.equal(wrong, 0, 'class-map canvas pixels in their category colours');
      assert.equal(await page.locator('#objects-list button').count(), want.categories.length);

      // a mask .npy picked through its input: the field becomes seg:1:mask=mask.npy; Grad-CAM = Node on the same mask
      const npyMask = join(ROOT, 'conformance', 'refs', 'tiny_segnet', 'chelsea64', 'c1', 'mask.npy');
      await page.setInputFiles('#target-mask-file', npyMask);
      await page.waitForFunction(() => (document.getElementById('target-spec') as HTMLInputElement).value === 'seg:1:mask=mask.npy', undefined, { timeout: 30_000 });
      const fromNpy = await runOnce(page, 'mask .npy');
      const maskNpy = await readMaskFile(npyMask);
      const gapNpy = await gradcamGap(segModel, segInput, { kind: 'segmentation', category: 1, mask: maskNpy.data }, fromNpy);
      // a PNG mask (a box drawn white on black) with category 2 typed first
      const dir = mkdtempSync(join(tmpdir(), 'lumen-web-mask-'));
      try {
        const pngMask = join(dir, 'box-mask.png');
        const rgb = new Uint8Array(64 * 64 * 3);
        for (let y = 12; y < 40; y++) for (let x = 20; x < 56; x++) rgb.fill(255, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
        await writePng(pngMask, { width: 64, height: 64, channels: 3, data: rgb });
        await page.locator('#target-spec').fill('seg:2');
        await page.setInputFiles('#target-mask-file', pngMask);
        await page.waitForFunction(() => (document.getElementById('target-spec') as HTMLInputElement).value === 'seg:2:mask=box-mask.png', undefined, { timeout: 30_000 });
        const fromPng = await runOnce(page, 'mask .png');
        const gapPng = await gradcamGap(segModel, segInput, { kind: 'segmentation', category: 2, box: { x0: 20, y0: 12, x1: 56, y1: 40 } }, fromPng);
        // an embedding reference image: cosine similarity of the segmentation logits to the reference's
        const reference = join(ROOT, 'samples', 'shapes', '000-circle.png');
        await page.setInputFiles('#target-reference-file', reference);
        await page.waitForFunction(() => (document.getElementById('target-spec') as HTMLInputElement).value === 'embed:000-circle.png', undefined, { timeout: 30_000 });
        const fromRef = await runOnce(page, 'embedding reference');
        const embed: TargetSpec = { kind: 'embedding', reference: (await loadInput(reference, segModel)).tensor };
        const gapRef = await gradcamGap(segModel, segInput, embed, fromRef);
        const cosine = (await forwardScores(segModel, segInput, await resolveBatchTargets(segModel, segInput, embed)))[0]!;
        t.diagnostic(`file targets, Grad-CAM max|browser − node| / max|node|: mask .npy ${gapNpy.toExponential(2)}, mask .png ${gapPng.toExponential(2)}, embed reference ${gapRef.toExponential(2)} (cosine ${cosine.toFixed(4)})`);
        for (const g of [gapNpy, gapPng]) assert.ok(g <= 1e-4, `mask file target: browser vs node ${g}`);
        // the cosine's gradient r̂/|z| − cos·ẑ/|z| cancels when the two logit maps are this similar: wasm's and the
        // native reductions' float32 rounding is amplified by about 1 / (1 − cosine)
        assert.ok(gapRef <= 1e-3, `embedding reference: browser vs node ${gapRef}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await page.locator('#target-spec').fill('seg:1:mask=missing.npy');
      await page.locator('#run').click();
      await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.errors.length > 0, undefined, { timeout: 30_000 });
      assert.match((await page.evaluate(() => (window as unknown as PageWindow).__lumen!.errors))[0]!, /no segmentation mask named 'missing\.npy'/);
      await page.evaluate(() => {
        (window as unknown as PageWindow).__lumen!.errors.length = 0;
      });
    } finally {
      await segModel.dispose();
    }
    // the trained shapes detector (a raw YOLOv5-style head) with the ground-truth box of the picture
    const detPath = join(ROOT, 'models', 'shapes-det.onnx');
    const detImage = join(ROOT, 'samples', 'shapes', '001-square.png');
    await page.setInputFiles('#model-file', detPath);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.model()?.name === 'shapes-det.onnx', undefined, { timeout: 120_000 });
    await page.setInputFiles('#image-files', detImage);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.input()?.dims.join(',') === '1,3,64,64', undefined, { timeout: 60_000 });
    // the boxes after NMS under Predictions = Node's; the first box's top edge is drawn in its class colour
    {
      const det = await loadModel(detPath);
      try {
        const { tensor } = await loadInput(detImage, det);
        const want = structuredPrediction((await forwardTarget(det, tensor)).values, 0);
        assert.ok(want && want.kind === 'detection' && want.detections.length > 0);
        // the previous image's (empty) boxes show until the new image's prediction lands: wait for that one
        await page.waitForFunction(() => ((window as unknown as PageWindow).__lumen!.structured()?.detections?.length ?? 0) > 0, undefined, { timeout: 60_000 });
        const shown = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.structured());
        assert.equal(shown?.kind, 'detection');
        assert.deepEqual(shown!.detections!.map((d) => [d.index, d.cls]), want.detections.map((d) => [d.index, d.cls]));
        let scoreGap = 0;
        want.detections.forEach((d, i) => (scoreGap = Math.max(scoreGap, Math.abs(d.score - shown!.detections![i]!.score))));
        t.diagnostic(`shapes-det boxes after NMS: ${want.detections.length} (${want.detections.map((d) => `det:${d.index} class ${d.cls} ${d.score.toFixed(3)}`).join('; ')}), max |score browser − node| ${scoreGap.toExponential(2)}`);
        assert.ok(scoreGap <= 1e-4);
        const px = await objectsPixels(page);
        const b = want.detections[0]!.box;
        const [x, y] = [Math.round(b.x0) + 1, Math.round(b.y0)];
        assert.deepEqual(px.rgb.slice(3 * (y * px.width + x), 3 * (y * px.width + x) + 3), [...classColor(want.detections[0]!.cls)], 'box outline colour');
        assert.equal(await page.locator('#objects-list button').first().getAttribute('data-target'), `det:${want.detections[0]!.index}`);
      } finally {
        await det.dispose();
      }
    }
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
    await app.close();
  }
});
