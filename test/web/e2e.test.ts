/**
 * End-to-end: the built web app in Debian's Chromium (playwright-core), compared number for number with the Node API.
 * Fails when /usr/bin/chromium is absent (CI installs it first). See DEVELOPERS.md, "Browser tests".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/node/load.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod, listMethods } from '../../src/methods/registry.js';
import { loadInput } from '../../src/node/inputs.js';
import { CHROMIUM_ARGS, openWebApp, requireChromium, webAppDist } from '../helpers/chromium.js';
import type { TestHook } from '../../web/src/test-hook.js';
export { CHROMIUM_ARGS };
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * One method per family (not the attention family: the bundled CNN has no attention, see
 * test/methods/attention.test.ts).
 */
const METHODS = ['gradcam', 'saliency', 'occlusion'] as const;
const TOLERANCE = 1e-4;

declare global {
  interface Window {
    __lumen?: TestHook;
  }
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

test('web app: bundled model and sample, methods from each family, equal to the Node API', { timeout: 900_000 }, async (t) => {
  requireChromium();
  await loadAllMethods();
  for (const id of METHODS) getMethod(id); // an unregistered method fails here, by name
  const methods = [...METHODS];

  // The current sources built once for all browser tests (test/helpers/chromium.ts), never into web/dist under a
  // running 'lumen serve'; LUMEN_E2E_REUSE_BUILD=1 serves the existing web/dist instead while iterating.
  const DIST = await webAppDist();
  for (const f of ['ort/ort-wasm-simd-threaded.wasm', 'bundled/manifest.json', 'bundled/model.onnx']) {
    assert.ok(existsSync(join(DIST, f)), `the build lacks ${f}`);
  }
  const manifest = JSON.parse(readFileSync(join(DIST, 'bundled', 'manifest.json'), 'utf8')) as { samples: { name: string; url: string }[] };
  assert.ok(manifest.samples.length > 0, 'the build bundles no samples');

  const shots = process.env.LUMEN_E2E_SHOTS ?? mkdtempSync(join(tmpdir(), 'lumen-e2e-'));
  mkdirSync(shots, { recursive: true });
  const app = await openWebApp(DIST, { acceptDownloads: true });
  try {
    const { server, page, pageErrors: consoleErrors } = app;

    const response = await page.goto(server.url);
    assert.equal(response?.headers()['cross-origin-opener-policy'], 'same-origin');
    assert.equal(response?.headers()['cross-origin-embedder-policy'], 'require-corp');
    await page.waitForFunction(() => window.__lumen?.ready === true, undefined, { timeout: 180_000 });
    assert.deepEqual(await page.evaluate(() => window.__lumen!.errors), [], 'the app reported errors while loading');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the page should be cross-origin isolated');

    const info = await page.evaluate(() => window.__lumen!.model());
    assert.ok(info, 'no model loaded');
    assert.ok(info.layers.length > 0, 'no layers listed');
    assert.ok(info.defaultLayer, 'no default layer marked');
    const preds = await page.evaluate(() => window.__lumen!.predictions());
    assert.equal(preds.length, 5);
    assert.ok(preds[0]!.probability >= preds[1]!.probability);
    // The layer select offers every layer, the default preselected.
    assert.equal(await page.locator('#layer').inputValue(), info.defaultLayer);

    // Choose exactly the methods under test through the UI.
    for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
    for (const id of methods) await page.locator(`#method-${id}`).check();
    await page.locator('#with-metrics').check();
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.waitForFunction(() => window.__lumen!.runs >= 1 && !window.__lumen!.busy, undefined, { timeout: 600_000 });
    assert.deepEqual(await page.evaluate(() => window.__lumen!.errors), [], 'the app reported errors while explaining');
    const results = await page.evaluate(() => window.__lumen!.results());
    const pageInput = await page.evaluate(() => window.__lumen!.input());
    assert.deepEqual(results.map((r) => r.method), methods);
    await page.screenshot({ path: join(shots, 'web-app.png'), fullPage: false });

    // Same image and model through the Node API.
    const model = await loadModel(join(DIST, 'bundled', 'model.onnx'));
    const sample = manifest.samples[0]!;
    const loaded = await loadInput(join(DIST, sample.url), model);
    assert.deepEqual(pageInput?.dims, [...loaded.tensor.dims]);
    const inputDiff = maxAbs(loaded.tensor.data.map((v, i) => v - pageInput!.data[i]!));
    assert.ok(inputDiff <= 1e-6, `the page's input tensor differs from the Node one by ${inputDiff}`);
    const [nodeTop] = await model.predict(loaded.tensor, 1);
    assert.equal(results[0]!.target, nodeTop![0]!.index, 'the page explains the top-1 class by default');

    for (const r of results) {
      const explanation = await getMethod(r.method).explain(model, loaded.tensor, { target: r.target, ...(r.layer ? { layer: r.layer } : {}) });
      const node = explanation.attribution;
      assert.deepEqual(r.dims, [...node.dims], `${r.method}: shape`);
      const scale = maxAbs(node.data);
      assert.ok(scale > 0, `${r.method}: the Node attribution is all zeros`);
      const diff = maxAbs(node.data.map((v, i) => v - r.attribution[i]!));
      t.diagnostic(`${r.method}: max|browser - node| / max|node| = ${(diff / scale).toExponential(2)}`);
      assert.ok(diff / scale <= TOLERANCE, `${r.method}: browser and Node differ by ${diff} (scale ${scale})`);
      // Non-trivial: the displayed map is not constant.
      const lo = Math.min(...r.map);
      const hi = Math.max(...r.map);
      assert.ok(hi - lo > 0.1, `${r.method}: the displayed map is flat (${lo}..${hi})`);
      if (r.scores) {
        assert.ok(r.scores.deletion >= 0 && r.scores.deletion <= 1, `${r.method}: deletion AUC ${r.scores.deletion}`);
        assert.ok(r.scores.insertion >= 0 && r.scores.insertion <= 1, `${r.method}: insertion AUC ${r.scores.insertion}`);
        assert.ok(r.scores.deletionCurve.y.length > 2);
      }
    }

    // The heatmap canvases were painted with more than one colour.
    const colours = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas.heat')).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set<number>();
        for (let i = 0; i < d.length; i += 4) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        return seen.size;
      }),
    );
    assert.equal(colours.length, methods.length);
    for (const c of colours) assert.ok(c > 4, `a heatmap has only ${c} colours`);

    // Every registered method is offered, with one generated form field per option.
    const offered = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLInputElement>('#methods input[id^="method-"]')).map((b) => ({
        id: b.value,
        fields: Array.from(document.querySelectorAll<HTMLInputElement>(`#opts-${CSS.escape(b.value)} [name]`)).map((f) => f.name),
      })),
    );
    assert.deepEqual(offered.map((m) => m.id).sort(), listMethods().map((m) => m.id).sort());
    for (const m of listMethods()) {
      const fields = offered.find((o) => o.id === m.id)!.fields;
      const expected = m.options.map((o) => o.name).filter((n) => !['target', 'layer', 'signal', 'onProgress'].includes(n));
      assert.deepEqual(fields, expected, `${m.id}: option fields`);
    }

    // Downloads: the .npy holds exactly the attribution, the PNG is an upscaled overlay.
    const firstCard = page.locator('article.card').first();
    const [npyDownload] = await Promise.all([page.waitForEvent('download'), firstCard.getByRole('button', { name: /as \.npy$/ }).click()]);
    const npy = readFileSync((await npyDownload.path())!);
    assert.equal(npy.subarray(1, 6).toString('latin1'), 'NUMPY');
    const headerLength = npy.readUInt16LE(8);
    const header = npy.subarray(10, 10 + headerLength).toString('latin1');
    assert.match(header, new RegExp(`'shape': \\(${results[0]!.dims.join(', ')}\\)`));
    const values = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLength, npy.byteOffset + npy.length));
    assert.deepEqual(Array.from(values), results[0]!.attribution);
    const [pngDownload] = await Promise.all([page.waitForEvent('download'), firstCard.getByRole('button', { name: /as PNG$/ }).click()]);
    const png = readFileSync((await pngDownload.path())!);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.readUInt32BE(16) >= 224, `PNG width ${png.readUInt32BE(16)}`);
    assert.match(pngDownload.suggestedFilename(), new RegExp(`-${results[0]!.method}-class${results[0]!.target}\\.png$`));

    // Opacity slider drives the overlay.
    await page.locator('#opacity').fill('0.8');
    assert.equal(await page.locator('canvas.heat').first().evaluate((c) => (c as HTMLCanvasElement).style.opacity), '0.8');

    // Accessibility basics: every form field has a label, every button a name.
    const unlabeled = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select'))
        .filter((el) => el.labels?.length === 0 && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
        .map((el) => el.id || el.name || el.outerHTML.slice(0, 60)),
    );
    assert.deepEqual(unlabeled, [], 'form fields without a label');
    const nameless = await page.evaluate(() => Array.from(document.querySelectorAll('button')).filter((b) => !(b.getAttribute('aria-label') || b.textContent?.trim())).length);
    assert.equal(nameless, 0, 'buttons without an accessible name');

    // Classes side by side, chosen with the keyboard: Enter on the second prediction adds it as a target.
    const second = preds[1]!.index;
    await page.locator(`#predictions button[data-class="${second}"]`).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.locator(`#predictions button[data-class="${second}"]`).getAttribute('aria-pressed'), 'true');
    for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
    await page.locator(`#method-${methods[0]}`).check();
    await page.locator('#with-metrics').uncheck();
    const runsBefore2 = await page.evaluate(() => window.__lumen!.runs);
    await page.locator('#run').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => window.__lumen!.runs > n && !window.__lumen!.busy, runsBefore2, { timeout: 300_000 });
    const twoClasses = await page.evaluate(() => window.__lumen!.results());
    assert.deepEqual(twoClasses.map((r) => r.target), [preds[0]!.index, second]);
    assert.equal(await page.locator('#result-grid section.row').count(), 2, 'one row per class');
    const secondNode = await getMethod(methods[0]!).explain(model, loaded.tensor, { target: second });
    const secondDiff = maxAbs(secondNode.attribution.data.map((v, i) => v - twoClasses[1]!.attribution[i]!));
    assert.ok(secondDiff / Math.max(1e-12, maxAbs(secondNode.attribution.data)) <= TOLERANCE, `${methods[0]} for class ${second}: differs by ${secondDiff}`);

    // A model and an image picked through the file inputs (the same path as a drop): an RGB model (the conformance
    // tiny ResNet, no class names: class_N labels) on a colour photo, Grad-CAM again equal to the Node API.
    const rgbModelPath = join(ROOT, 'conformance', 'models', 'tiny_resnet.onnx');
    const rgbImagePath = join(ROOT, 'conformance', 'inputs', 'chelsea64.png');
    await page.setInputFiles('#model-file', rgbModelPath);
    await page.waitForFunction(() => window.__lumen!.model()?.name === 'tiny_resnet.onnx', undefined, { timeout: 120_000 });
    await page.setInputFiles('#image-files', rgbImagePath);
    await page.waitForFunction((n) => document.querySelectorAll('#thumbs button').length === n + 1, manifest.samples.length, { timeout: 60_000 });
    await page.waitForFunction(() => window.__lumen!.input()?.dims.join(',') === '1,3,64,64' && window.__lumen!.predictions()[0]?.label.startsWith('class_') === true, undefined, { timeout: 60_000 });
    assert.deepEqual(await page.evaluate(() => window.__lumen!.errors), [], 'loading a picked model and image reported an error');
    const runsBefore3 = await page.evaluate(() => window.__lumen!.runs);
    await page.locator('#run').click();
    await page.waitForFunction((n) => window.__lumen!.runs > n && !window.__lumen!.busy, runsBefore3, { timeout: 300_000 });
    const [rgbResult] = await page.evaluate(() => window.__lumen!.results());
    const rgbPageInput = await page.evaluate(() => window.__lumen!.input()!);
    const rgbModel = await loadModel(rgbModelPath);
    try {
      const rgbInput = await loadInput(rgbImagePath, rgbModel);
      const rgbInputDiff = maxAbs(rgbInput.tensor.data.map((v, i) => v - rgbPageInput.data[i]!));
      assert.ok(rgbInputDiff <= 1e-6, `colour image: the page's input differs from Node's by ${rgbInputDiff}`);
      assert.ok(rgbResult, 'no result for the RGB model');
      const [rgbTop] = await rgbModel.predict(rgbInput.tensor, 1);
      assert.equal(rgbResult.target, rgbTop![0]!.index);
      const rgbNode = (await getMethod(rgbResult.method).explain(rgbModel, rgbInput.tensor, { target: rgbResult.target, ...(rgbResult.layer ? { layer: rgbResult.layer } : {}) })).attribution;
      const rgbDiff = maxAbs(rgbNode.data.map((v, i) => v - rgbResult.attribution[i]!)) / maxAbs(rgbNode.data);
      t.diagnostic(`tiny_resnet ${rgbResult.method}: max|browser - node| / max|node| = ${rgbDiff.toExponential(2)}`);
      assert.ok(rgbDiff <= TOLERANCE, `tiny_resnet ${rgbResult.method}: browser and Node differ by ${rgbDiff} (relative)`);
    } finally {
      await rgbModel.dispose();
    }

    // A vision transformer picked through the file input (issue 16): the conformance tiny ViT on the same photo.
    // Grad-CAM on its default token layer (class token + 8×8 patch grid, no reshape code) and Attention Rollout run in
    // the page and equal the Node API.
    {
      const vitModelPath = join(ROOT, 'conformance', 'models', 'tiny_vit.onnx');
      await page.setInputFiles('#model-file', vitModelPath);
      await page.waitForFunction(() => window.__lumen!.model()?.name === 'tiny_vit.onnx', undefined, { timeout: 120_000 });
      await page.waitForFunction(() => window.__lumen!.input()?.dims.join(',') === '1,3,64,64' && window.__lumen!.predictions()[0]?.label.startsWith('class_') === true, undefined, { timeout: 60_000 });
      for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
      await page.locator('[id="method-gradcam"]').check();
      await page.locator('[id="method-attention-rollout"]').check();
      const metricsBox = page.locator('#with-metrics');
      if (await metricsBox.isChecked()) await metricsBox.uncheck();
      const runsBeforeVit = await page.evaluate(() => window.__lumen!.runs);
      await page.locator('#run').click();
      await page.waitForFunction((n) => window.__lumen!.runs > n && !window.__lumen!.busy, runsBeforeVit, { timeout: 300_000 });
      assert.deepEqual(await page.evaluate(() => window.__lumen!.errors), [], 'the ViT run reported an error');
      const vitResults = await page.evaluate(() => window.__lumen!.results());
      assert.deepEqual(vitResults.map((r) => r.method).sort(), ['attention-rollout', 'gradcam']);
      const vitPageInput = await page.evaluate(() => window.__lumen!.input()!);
      const vitModel = await loadModel(vitModelPath);
      try {
        const vitInput = await loadInput(rgbImagePath, vitModel);
        const vitInputDiff = maxAbs(vitInput.tensor.data.map((v, i) => v - vitPageInput.data[i]!));
        assert.ok(vitInputDiff <= 1e-6, `ViT: the page's input differs from Node's by ${vitInputDiff}`);
        assert.equal(await vitModel.defaultLayer(), '/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0', 'ViT default layer: the last block\'s ln_1');
        for (const r of vitResults) {
          const node = (await getMethod(r.method).explain(vitModel, vitInput.tensor, { target: r.target, ...(r.layer ? { layer: r.layer } : {}) })).attribution;
          assert.deepEqual(r.dims, node.dims, `ViT ${r.method}: dims`);
          const diff = maxAbs(node.data.map((v, i) => v - r.attribution[i]!)) / maxAbs(node.data);
          t.diagnostic(`tiny_vit ${r.method}: max|browser - node| / max|node| = ${diff.toExponential(2)}`);
          assert.ok(diff <= TOLERANCE, `tiny_vit ${r.method}: browser and Node differ by ${diff} (relative)`);
        }
      } finally {
        await vitModel.dispose();
      }
    }

    // Cancel: a long RISE run stops on the Cancel button (AbortSignal) without an error.
    {
      getMethod('rise'); // required: an unregistered RISE fails here
      for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
      await page.locator('#method-rise').check();
      await page.locator('#opt-rise-numMasks').fill('20000');
      await page.locator('#with-metrics').uncheck();
      const runsBefore = await page.evaluate(() => window.__lumen!.runs);
      await page.getByRole('button', { name: 'Explain' }).click();
      await page.waitForFunction(() => window.__lumen!.busy && (document.getElementById('progress') as HTMLProgressElement).value > 0, undefined, { timeout: 120_000 });
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.waitForFunction((n) => window.__lumen!.runs > n && !window.__lumen!.busy, runsBefore, { timeout: 120_000 });
      assert.equal(await page.locator('#progress-label').textContent(), 'Cancelled');
      assert.deepEqual(await page.evaluate(() => window.__lumen!.errors), [], 'cancelling reported an error');
      assert.equal(await page.locator('#cancel').isDisabled(), true);
    }

    // Every registered method runs in the page on the bundled model (no errors, finite values of the right size),
    // except the attention family: it refuses a CNN with a specific error (test/methods/attention.test.ts).
    const cnnMethods = listMethods().filter((m) => m.family !== 'attention').map((m) => m.id);
    await page.locator('#bundled-model').click();
    await page.waitForFunction(() => window.__lumen!.model()?.name === 'fashion-cnn.onnx' || window.__lumen!.model()?.name === 'fashion_cnn.onnx', undefined, { timeout: 120_000 });
    await page.locator('#thumbs button').first().click();
    await page.waitForFunction(() => window.__lumen!.input()?.dims[1] === 1, undefined, { timeout: 60_000 });
    for (const box of await page.locator('#methods input[type=checkbox][id^="method-"]').all()) await box.uncheck();
    for (const id of cnnMethods) await page.locator(`[id="method-${id}"]`).check(); // ids like gradcam++
    await page.locator('#with-metrics').uncheck();
    const runsBeforeAll = await page.evaluate(() => window.__lumen!.runs);
    await page.locator('#run').click();
    await page.waitForFunction((n) => window.__lumen!.runs > n && !window.__lumen!.busy, runsBeforeAll, { timeout: 600_000 });
    assert.deepEqual(await page.evaluate(() => window.__lumen!.errors), [], 'a method failed in the browser');
    const everyResult = await page.evaluate(() => window.__lumen!.results().map((r) => ({ method: r.method, dims: r.dims, finite: r.attribution.every(Number.isFinite) })));
    assert.deepEqual(everyResult.map((r) => r.method).sort(), [...cnnMethods].sort());
    for (const r of everyResult) {
      assert.ok(r.finite, `${r.method}: non-finite attribution values`);
      assert.ok(r.dims.length === 4 && r.dims[0] === 1 && r.dims.every((d) => d > 0), `${r.method}: dims [${r.dims.join(',')}]`);
    }
    const notInput = everyResult.filter((r) => r.dims[2] !== 28 || r.dims[3] !== 28).map((r) => `${r.method} [${r.dims.join(',')}]`);
    t.diagnostic(`all ${everyResult.length} registered non-attention methods ran in the page${notInput.length ? `; not at input resolution: ${notInput.join(', ')}` : ''}`);

    // Narrow screen: single column, nothing wider than the viewport.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a 390px screen`);
    await page.screenshot({ path: join(shots, 'web-app-narrow.png'), fullPage: true });

    assert.deepEqual(consoleErrors, [], 'console errors');
    // The README's screenshot is refreshed only on request (or when missing), so test runs leave the tree clean.
    const docShot = join(ROOT, 'docs', 'screenshots', 'web-app.png');
    if (!existsSync(docShot) || process.env.LUMEN_E2E_UPDATE_SCREENSHOT === '1') {
      mkdirSync(dirname(docShot), { recursive: true });
      copyFileSync(join(shots, 'web-app.png'), docShot);
    }
    t.diagnostic(`screenshots in ${shots}`);
  } finally {
    await app.close();
  }
});
