import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/perturbation/index.js';
import { RiseMasks, riseDefaults } from '../../../src/methods/perturbation/rise.js';
import { Rng } from '../../../src/random.js';
import { Tensor } from '../../../src/tensor.js';
import type { OnnxGraph } from '../../../src/onnx/graph.js';
import { segmentModel } from './helpers.js';

// 1×32×32 image of ones; logit0 = sum of the pixels in rows 4..11, columns 18..25 (an 8×8 box), nothing else.
const H = 32;
const W = 32;
const inBox = (p: number): boolean => {
  const y = Math.floor(p / W);
  const x = p % W;
  return y >= 4 && y < 12 && x >= 18 && x < 26;
};
const boxWeights = Float32Array.from({ length: H * W }, (_, p) => (inBox(p) ? 1 : 0));

function boxModel() {
  return segmentModel(1, H, W, boxWeights, 1, (_g: OnnxGraph, sums: string) => sums);
}

test('RISE saliency = Σ score·mask / (N·p), recomputed from the same seeded masks', async () => {
  const model = boxModel();
  const input = Tensor.filled([1, 1, H, W], 1);
  const N = 300;
  const result = await getMethod('rise').explain(model, input, { target: 0, numMasks: N, gridSize: 4, keepProbability: 0.5, seed: 3, batchSize: 64 });
  // Independent recomputation: the masks in order from Rng(seed), the score of a masked image of ones = Σ_box mask.
  const masks = new RiseMasks(H, W, 4, 0.5, new Rng(3));
  const m = new Float32Array(H * W);
  const expected = new Float64Array(H * W);
  let meanMask = 0;
  for (let i = 0; i < N; i++) {
    masks.next(m);
    let score = 0;
    for (let p = 0; p < H * W; p++) if (inBox(p)) score += m[p]!;
    for (let p = 0; p < H * W; p++) expected[p]! += (score * m[p]!) / (N * 0.5);
    for (let p = 0; p < H * W; p++) meanMask += m[p]! / (N * H * W);
  }
  let err = 0;
  let scale = 0;
  for (let p = 0; p < H * W; p++) {
    err = Math.max(err, Math.abs(result.attribution.data[p]! - expected[p]!));
    scale = Math.max(scale, Math.abs(expected[p]!));
  }
  assert.ok(err / scale < 1e-5, `rel err ${err / scale}`);
  // Masks are in [0,1] and keep about p of the image.
  assert.ok(Math.abs(meanMask - 0.5) < 0.05, `mean mask ${meanMask}`);
  await model.dispose();
});

/** Share of the above-mean saliency inside the box, its centroid, and how many of the top-64 pixels are in the box. */
function concentration(sal: Float32Array): { inside: number; cy: number; cx: number; top: number; argmaxInBox: boolean } {
  let mean = 0;
  for (let p = 0; p < H * W; p++) mean += sal[p]! / (H * W);
  let inside = 0;
  let total = 0;
  let cy = 0;
  let cx = 0;
  for (let p = 0; p < H * W; p++) {
    const excess = Math.max(0, sal[p]! - mean);
    total += excess;
    cy += excess * Math.floor(p / W);
    cx += excess * (p % W);
    if (inBox(p)) inside += excess;
  }
  const order = Array.from(sal.keys()).sort((i, j) => sal[j]! - sal[i]!);
  return { inside: inside / total, cy: cy / total, cx: cx / total, top: order.slice(0, 64).filter(inBox).length, argmaxInBox: inBox(order[0]!) };
}

test('RISE puts the saliency on the only region the model looks at', async () => {
  const model = boxModel();
  const input = Tensor.filled([1, 1, H, W], 1);
  // Defaults for 32 px: s = 3 (11-px cells), N = 800. The map is as blurry as the cells, but centred on the box
  // (centre y 7.5, x 21.5), while the box covers 6 % of the image.
  const coarse = concentration((await getMethod('rise').explain(model, input, { target: 0, seed: 1, batchSize: 100 })).attribution.data);
  // Finer cells (s = 6, 5-px cells) sharpen it.
  const fine = concentration((await getMethod('rise').explain(model, input, { target: 0, seed: 1, batchSize: 100, gridSize: 6, numMasks: 1000 })).attribution.data);
  console.log(`rise defaults: ${(100 * coarse.inside).toFixed(1)}% of above-mean saliency in box, centroid (${coarse.cy.toFixed(2)}, ${coarse.cx.toFixed(2)}), top-64 in box ${coarse.top}; s=6: ${(100 * fine.inside).toFixed(1)}%, top-64 ${fine.top}`);
  assert.ok(coarse.argmaxInBox && fine.argmaxInBox);
  assert.ok(Math.hypot(coarse.cy - 7.5, coarse.cx - 21.5) < 2, 'centroid near the box centre');
  assert.ok(coarse.top >= 32, `${coarse.top} of the top 64 pixels in the box`);
  assert.ok(Math.hypot(fine.cy - 7.5, fine.cx - 21.5) < 2);
  assert.ok(fine.inside > 0.35 && fine.top >= 48, `s=6: ${fine.inside}, ${fine.top}`);
  await model.dispose();
});

test('RISE is bit-identical for a seed and for any batch size, different for another seed', async () => {
  const model = boxModel();
  const input = Tensor.filled([1, 1, H, W], 1);
  const run = (seed: number, batchSize: number) => getMethod('rise').explain(model, input, { target: 0, numMasks: 64, seed, batchSize });
  const a = await run(9, 16);
  const b = await run(9, 16);
  assert.deepEqual(Buffer.from(b.attribution.data.buffer), Buffer.from(a.attribution.data.buffer));
  const c = await run(9, 64);
  let diff = 0;
  for (let p = 0; p < H * W; p++) diff = Math.max(diff, Math.abs(c.attribution.data[p]! - a.attribution.data[p]!));
  assert.ok(diff < 1e-4, 'same masks whatever the batch size');
  const d = await run(10, 16);
  assert.notDeepEqual(Array.from(d.attribution.data), Array.from(a.attribution.data));
  await model.dispose();
});

test('RISE defaults scale with the input size', () => {
  assert.deepEqual(riseDefaults(224, 224), { gridSize: 7, numMasks: 4000 });
  assert.deepEqual(riseDefaults(64, 64), { gridSize: 4, numMasks: 1400 });
  assert.deepEqual(riseDefaults(28, 28), { gridSize: 3, numMasks: 800 });
});

test('RISE mask upsampling equals skimage resize(order=1, mode="reflect") + crop (fixture computed with skimage)', () => {
  interface Case { H: number; W: number; s: number; grid: number[]; dy: number; dx: number; mask: number[] }
  const fixture = JSON.parse(readFileSync('test/methods/perturbation/fixtures/rise-masks-skimage.json', 'utf8')) as { cases: Case[] };
  assert.equal(fixture.cases.length, 4);
  for (const c of fixture.cases) {
    const out = new Float32Array(c.H * c.W);
    new RiseMasks(c.H, c.W, c.s, 0.5, new Rng(0)).render(c.grid, c.dy, c.dx, out);
    let err = 0;
    for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i]! - c.mask[i]!));
    assert.ok(err < 1e-6, `${c.H}×${c.W}, s=${c.s}: max error ${err}`);
    assert.ok(c.mask.some((v) => v > 0 && v < 1), 'fixture has interpolated values');
  }
});
