/**
 * The web app with TF.js models in Debian's Chromium: model.json + weight shards picked through the page's model
 * input (converted in the page by loadTfjsModelFromFiles), a photo picked, predictions, Grad-CAM and Saliency equal
 * to the Node API's loadModel('…/model.json') (≤ 1e-4 relative). A graph model (human emotion, 64×64 gray) and a
 * layers model (nsfwjs MobileNetV2, uint8 weights, a shard without '.bin'). MobileNetV2's Saliency is bounded at
 * 1e-3: the same ONNX graph run by onnxruntime-web and onnxruntime-node differs by 6.6e-4 there (float32 summation
 * order; its input gradient is ill-conditioned, docs/import.md). Fails when /usr/bin/chromium is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/node/load.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadInput } from '../../src/node/inputs.js';
import { requireChromium, webAppDist, openWebApp } from '../helpers/chromium.js';
import type { TestHook } from '../../web/src/test-hook.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'tfjs');
const IMAGE = join(ROOT, 'samples', 'faces', 'astronaut-face.png');
const METHODS = ['gradcam', 'saliency'] as const;
const TOLERANCE = 1e-4;

// the page's test hook (web/src/test-hook.ts), typed here only: test/web/e2e.test.ts declares Window.__lumen
type PageWindow = { __lumen?: TestHook };

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
function relDiff(node: ArrayLike<number>, page: ArrayLike<number>): number {
  assert.equal(page.length, node.length, 'lengths differ');
  let d = 0;
  for (let i = 0; i < node.length; i++) d = Math.max(d, Math.abs(node[i]! - page[i]!));
  const scale = maxAbs(node);
  assert.ok(scale > 0, 'the Node values are all zeros');
  return d / scale;
}

const MODELS = [
  { dir: 'human-emotion', files: ['model.json', 'emotion.bin'], kind: 'graph', saliencyTolerance: TOLERANCE },
  { dir: 'nsfwjs-mobilenet_v2', files: ['model.json', 'group1-shard1of1'], kind: 'layers', saliencyTolerance: 1e-3 },
] as const;

test('web app: TF.js graph and layers models picked as model.json + shards predict and explain as the Node API', { timeout: 600_000 }, async (t) => {
  requireChromium();
  await loadAllMethods();
  for (const id of METHODS) getMethod(id);
  const app = await openWebApp(await webAppDist());
  try {
    const { page, pageErrors, server } = app;
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as PageWindow).__lumen?.ready === true, undefined, { timeout: 180_000 });

    // the photo first (added to the bundled thumbnails); each model below re-prepares it for its own input
    const thumbs = await page.locator('#thumbs button').count();
    await page.setInputFiles('#image-files', IMAGE);
    await page.waitForFunction((n) => document.querySelectorAll('#thumbs button').length === n + 1, thumbs, { timeout: 60_000 });

    for (const m of MODELS) {
      await page.setInputFiles('#model-file', m.files.map((f) => join(FIX, m.dir, f)));
      await page.waitForFunction(() => (window as unknown as PageWindow).__lumen!.model()?.name === 'TF.js model.json', undefined, { timeout: 120_000 });
      const model = await loadModel(join(FIX, m.dir, 'model.json'));
      try {
        const loaded = await loadInput(IMAGE, model);
        const dims = [...loaded.tensor.dims].join(',');
        await page.waitForFunction((d) => (window as unknown as PageWindow).__lumen!.input()?.dims.join(',') === d && (window as unknown as PageWindow).__lumen!.predictions().length > 0, dims, { timeout: 60_000 });
        assert.deepEqual(await page.evaluate(() => (window as unknown as PageWindow).__lumen!.errors), [], `${m.dir}: loading reported an error`);
        const info = (await page.evaluate(() => (window as unknown as PageWindow).__lumen!.model()))!;
        assert.deepEqual(info.layers, (await model.layers()).map((l) => l.name), `${m.dir}: layers`);
        assert.equal(info.defaultLayer, (await model.layers()).find((l) => l.isDefault)?.name, `${m.dir}: default layer`);

        const pageInput = (await page.evaluate(() => (window as unknown as PageWindow).__lumen!.input()))!;
        const inputDiff = maxAbs(loaded.tensor.data.map((v, i) => v - pageInput.data[i]!));
        assert.ok(inputDiff <= 1e-6, `${m.dir}: the page's input differs from Node's by ${inputDiff}`);

        // predictions: same classes in the same order, probabilities equal
        const preds = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.predictions());
        const [nodeTop] = await model.predict(loaded.tensor, preds.length);
        assert.deepEqual(preds.map((p) => p.index), nodeTop!.map((p) => p.index), `${m.dir}: predicted classes`);
        const probDiff = relDiff(nodeTop!.map((p) => p.probability), preds.map((p) => p.probability));
        assert.ok(probDiff <= TOLERANCE, `${m.dir}: probabilities differ by ${probDiff} (relative)`);

        for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
        for (const id of METHODS) await page.locator(`#method-${id}`).check();
        await page.locator('#with-metrics').uncheck();
        const runs = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.runs);
        await page.locator('#run').click();
        await page.waitForFunction((n) => (window as unknown as PageWindow).__lumen!.runs > n && !(window as unknown as PageWindow).__lumen!.busy, runs, { timeout: 300_000 });
        assert.deepEqual(await page.evaluate(() => (window as unknown as PageWindow).__lumen!.errors), [], `${m.dir}: explaining reported an error`);
        const results = await page.evaluate(() => (window as unknown as PageWindow).__lumen!.results());
        assert.deepEqual(results.map((r) => r.method), [...METHODS]);
        for (const r of results) {
          assert.equal(r.target, nodeTop![0]!.index, `${m.dir} ${r.method}: explains the top class`);
          if (r.method === 'gradcam') assert.equal(r.layer, info.defaultLayer, `${m.dir}: Grad-CAM at the default layer`);
          const node = (await getMethod(r.method).explain(model, loaded.tensor, { target: r.target, ...(r.layer ? { layer: r.layer } : {}) })).attribution;
          assert.deepEqual(r.dims, [...node.dims], `${m.dir} ${r.method}: shape`);
          const diff = relDiff(node.data, r.attribution);
          t.diagnostic(`${m.dir} (${m.kind}) ${r.method}: max|browser − node| / max|node| = ${diff.toExponential(2)}; probabilities ${probDiff.toExponential(2)}`);
          const bound = r.method === 'saliency' ? m.saliencyTolerance : TOLERANCE;
          assert.ok(diff <= bound, `${m.dir} ${r.method}: browser and Node differ by ${diff} (relative)`);
        }
      } finally {
        await model.dispose();
      }
    }
    assert.deepEqual(pageErrors, [], 'console errors');
  } finally {
    await app.close();
  }
});
