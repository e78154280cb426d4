/** The web app's Concepts panel in Debian's Chromium: Deep Feature Factorization and nearest loaded images equal to the Node API's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { deepFeatureFactorization } from '../../src/methods/concepts/dff.js';
import { nearestByCosine } from '../../src/methods/concepts/examples.js';
import { layerActivations, pooled } from '../../src/methods/concepts/layer.js';
import { loadInput } from '../../src/node/inputs.js';
import { Tensor } from '../../src/tensor.js';
import { requireChromium, webAppDist, openWebApp } from '../helpers/chromium.js';

interface Page {
  ready: boolean;
  errors: string[];
  model(): { defaultLayer?: string } | undefined;
  input(): { dims: number[]; data: number[] } | undefined;
}
interface ConceptsHook {
  runs: number;
  busy: boolean;
  result?: { layer: string; k: number; dims: number[]; maps: number[]; probabilities: number[]; legend: string[]; canvas: { width: number; height: number } };
  neighborRuns: number;
  neighbors?: { layer: string; query: number; hits: { index: number; similarity: number }[] };
}
/** The page's hooks (typed here, not as a global: test/web/e2e.test.ts declares window.__lumen its own way). */
type Hooks = { __lumen?: Page; __lumenConcepts?: ConceptsHook };

test('web app Concepts panel: DFF maps and concept class scores, and the neighbours view, equal the Node API', { timeout: 600_000 }, async (t) => {
  requireChromium();
  const dist = await webAppDist();
  const app = await openWebApp(dist, { viewport: { width: 1280, height: 900 } });
  try {
    const { page, pageErrors: errors, server } = app;
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as Hooks).__lumen?.ready === true, undefined, { timeout: 180_000 });
    const layer = (await page.evaluate(() => (window as unknown as Hooks).__lumen!.model()?.defaultLayer))!;
    assert.ok(layer);
    await page.locator('#opt-concept-dff-k').fill('3');
    await page.getByRole('button', { name: 'Find concepts' }).click();
    await page.waitForFunction(() => ((window as unknown as Hooks).__lumenConcepts?.runs ?? 0) >= 1 && !(window as unknown as Hooks).__lumenConcepts!.busy, undefined, { timeout: 300_000 });
    assert.deepEqual(await page.evaluate(() => (window as unknown as Hooks).__lumen!.errors), []);
    assert.deepEqual(errors, []);
    const r = (await page.evaluate(() => (window as unknown as Hooks).__lumenConcepts!.result))!;
    const input = (await page.evaluate(() => (window as unknown as Hooks).__lumen!.input()))!;
    assert.equal(r.layer, layer);
    assert.equal(r.k, 3);
    assert.equal(r.legend.length, 3);
    assert.equal(await page.locator('#concepts-out table tr').count(), 1 + 3);
    // the legend sits to the right of the (upscaled) concept map
    assert.ok(r.canvas.width > r.dims[3]!, `canvas ${r.canvas.width} wide for a ${r.dims[3]}-wide map`);
    // scrolled to the concept map, the sticky controls column does not cover it (it covered the map's left 312 px)
    await page.locator('#concepts-canvas').scrollIntoViewIfNeeded();
    const covered = await page.evaluate(`(() => {
      const a = document.querySelector('.controls').getBoundingClientRect();
      return ['#concepts-canvas', '#concepts', '#results'].map((id) => {
        const b = document.querySelector(id).getBoundingClientRect();
        return Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
      });
    })()`);
    assert.deepEqual(covered, [0, 0, 0], 'area of the concept map, the Concepts panel and the results under the controls');

    const model = await loadModel(join(dist, 'bundled', 'model.onnx'));
    try {
      const node = await deepFeatureFactorization(model, new Tensor(Float32Array.from(input.data), input.dims), { layer, k: 3, seed: 0 });
      assert.deepEqual(r.dims, [...node.upsampled.dims]);
      const pd = Math.max(...node.conceptProbabilities!.data.map((v, i) => Math.abs(v - r.probabilities[i]!)));
      const md = Math.max(...node.upsampled.data.map((v, i) => Math.abs(v - r.maps[i]!)));
      t.diagnostic(`max |browser − node|: probabilities ${pd.toExponential(2)}, maps ${md.toExponential(2)}`);
      assert.ok(pd <= 1e-5, `concept class probabilities differ by ${pd}`);
      assert.ok(md <= 1e-4, `concept maps differ by ${md}`);
      // not trivial: each map spans [0, 1] (min–max per map)
      const hw = r.dims[2]! * r.dims[3]!;
      for (let j = 0; j < 3; j++) assert.ok(Math.max(...r.maps.slice(j * hw, (j + 1) * hw)) > 0.99);

      // Neighbours among the loaded (bundled) images, in the page's order, against Node's embeddings of the same files.
      await page.getByRole('button', { name: 'Find neighbours' }).click();
      await page.waitForFunction(() => ((window as unknown as Hooks).__lumenConcepts?.neighborRuns ?? 0) >= 1 && !(window as unknown as Hooks).__lumenConcepts!.busy, undefined, { timeout: 300_000 });
      assert.deepEqual(errors, []);
      const nb = (await page.evaluate(() => (window as unknown as Hooks).__lumenConcepts!.neighbors))!;
      const samples = (JSON.parse(readFileSync(join(dist, 'bundled', 'manifest.json'), 'utf8')) as { samples: { url: string }[] }).samples;
      assert.ok(samples.length >= 2, 'the build bundles fewer than 2 samples');
      const rows = [];
      for (const s of samples) rows.push(pooled((await layerActivations(model, (await loadInput(join(dist, s.url), model)).tensor, layer)).maps));
      const dd = rows[0]!.length;
      const bank = new Float32Array(rows.length * dd);
      rows.forEach((e, i) => bank.set(e, i * dd));
      const expected = nearestByCosine(rows[nb.query]!, bank, rows.length, dd, Math.min(8, rows.length));
      t.diagnostic(`neighbours of sample ${nb.query}: ${nb.hits.map((h) => `${h.index}:${h.similarity.toFixed(4)}`).join(' ')}`);
      assert.equal(nb.hits.length, expected.length);
      assert.equal(nb.hits[0]!.index, nb.query, 'the query is its own nearest neighbour');
      assert.ok(Math.abs(nb.hits[0]!.similarity - 1) < 1e-5);
      assert.deepEqual(nb.hits.map((h) => h.index), expected.map((h) => h.index));
      for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(nb.hits[i]!.similarity - expected[i]!.similarity) < 1e-5, `similarity ${i}`);
      assert.equal(await page.locator('#neighbors-out figure').count(), expected.length);
    } finally {
      await model.dispose();
    }
  } finally {
    await app.close();
  }
});
