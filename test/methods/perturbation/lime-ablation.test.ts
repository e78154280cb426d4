import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/perturbation/index.js';
import { limeKernelWeights, weightedRidge } from '../../../src/methods/perturbation/lime.js';
import { readFileSync } from 'node:fs';
import { gridSegments } from '../../../src/methods/perturbation/segmentation.js';
import { Tensor } from '../../../src/tensor.js';
import type { OnnxGraph } from '../../../src/onnx/graph.js';
import { segmentIndicator, segmentModel, segmentSums, testValues } from './helpers.js';

// 3×16×16 image, 4×4 grid = 16 segments; logit0 = Σ_s a_s · (weighted sum of segment s) + 0.3.
const C = 3;
const H = 16;
const W = 16;
const { labels, count: S } = gridSegments(H, W, 4);
const pixelWeights = testValues(C * H * W, 23, 0.5, 1.5);
const a = testValues(S, 29, -1, 1);
const x = testValues(C * H * W, 31, -1, 1);

function linearModel() {
  return segmentModel(C, H, W, segmentIndicator(labels, S, C, pixelWeights), S, (g: OnnxGraph, sums: string) =>
    g.op('Gemm', [sums, g.addInitializer(a, [S, 1]), g.addInitializer(Float32Array.of(0.3), [1])]),
  );
}

/** With hide = constant 0, switching segment s on adds a_s · sum_s: the true local weights. */
function trueWeights(): Float64Array {
  const sums = segmentSums(x, labels, S, C, pixelWeights);
  return sums.map((v, s) => v * a[s]!);
}

test('LIME recovers the weights of a model linear in its segments (R² = 1)', async () => {
  const model = linearModel();
  const input = new Tensor(x.slice(), [1, C, H, W]);
  const truth = trueWeights();
  const scale = Math.max(...truth.map(Math.abs));
  // alpha = 0: ordinary weighted least squares recovers them exactly.
  const exact = await getMethod('lime').explain(model, input, { target: 0, segmentation: 'grid', gridSize: 4, hide: 'constant', numSamples: 300, alpha: 0, batchSize: 50 });
  const w0 = exact.extras.weights as number[];
  const err0 = Math.max(...w0.map((w, i) => Math.abs(w - truth[i]!))) / scale;
  assert.ok(err0 < 1e-4, `alpha 0: max rel err ${err0}`);
  assert.ok(Math.abs((exact.extras.intercept as number[])[0]! - 0.3) < 1e-3);
  assert.ok((exact.extras.score as number[])[0]! > 1 - 1e-8);
  // Default alpha = 1 (lime's Ridge): the shrinkage is small with 1000 samples.
  const ridge = await getMethod('lime').explain(model, input, { target: 0, segmentation: 'grid', gridSize: 4, hide: 'constant', batchSize: 100 });
  const w1 = ridge.extras.weights as number[];
  const err1 = Math.max(...w1.map((w, i) => Math.abs(w - truth[i]!))) / scale;
  const score = (ridge.extras.score as number[])[0]!;
  console.log(`lime: alpha 0 rel err ${err0.toExponential(2)}; alpha 1 rel err ${err1.toExponential(2)}, R² ${score.toFixed(6)}`);
  assert.ok(err1 < 0.03, `alpha 1: max rel err ${err1}`);
  assert.ok(err1 > 1e-6, 'the ridge penalty should shrink the weights a little');
  assert.ok(score > 0.999);
  // The map paints each segment's weight.
  for (let p = 0; p < H * W; p++) assert.equal(ridge.attribution.data[p], Math.fround(w1[labels[p]!]!));
  assert.deepEqual(ridge.attribution.dims, [1, 1, H, W]);
  await model.dispose();
});

test('LIME is bit-identical for a seed and differs for another', async () => {
  const model = linearModel();
  const input = new Tensor(x.slice(), [1, C, H, W]);
  const run = (seed: number, batchSize: number) => getMethod('lime').explain(model, input, { target: 0, segmentation: 'grid', gridSize: 4, numSamples: 120, seed, batchSize });
  const first = await run(5, 32);
  const again = await run(5, 32);
  assert.deepEqual(Buffer.from(again.attribution.data.buffer), Buffer.from(first.attribution.data.buffer));
  const other = await run(6, 32);
  assert.notDeepEqual(Array.from(other.attribution.data), Array.from(first.attribution.data));
  await model.dispose();
});

test('weighted ridge equals the closed form on a small hand-checked problem', () => {
  // y = 2·x + 1 exactly; alpha 0 recovers it; alpha 1 with weights gives (Σw xc yc)/(Σw xc² + 1).
  const xs = Float64Array.of(0, 1, 2, 3);
  const ys = Float64Array.of(1, 3, 5, 7);
  const ws = Float64Array.of(1, 2, 1, 0.5);
  const fit0 = weightedRidge(xs, ys, ws, 4, 1, 0);
  assert.ok(Math.abs(fit0.coefficients[0]! - 2) < 1e-12 && Math.abs(fit0.intercept - 1) < 1e-12 && Math.abs(fit0.score - 1) < 1e-12);
  const sw = 4.5;
  const xm = (0 + 2 + 2 + 1.5) / sw;
  const sxx = [0, 1, 2, 3].reduce((s, v, i) => s + ws[i]! * (v - xm) ** 2, 0);
  const fit1 = weightedRidge(xs, ys, ws, 4, 1, 1);
  assert.ok(Math.abs(fit1.coefficients[0]! - (2 * sxx) / (sxx + 1)) < 1e-12);
  assert.ok(fit1.score < 1 && fit1.score > 0.9);
});

test('feature ablation gives f(x) − f(x with segment hidden) on each segment', async () => {
  const model = linearModel();
  const input = new Tensor(x.slice(), [1, C, H, W]);
  const truth = trueWeights();
  const result = await getMethod('feature-ablation').explain(model, input, { target: 0, segmentation: 'grid', gridSize: 4, batchSize: 5 });
  const values = result.extras.segmentAttributions as number[];
  assert.equal(values.length, S);
  const scale = Math.max(...truth.map(Math.abs));
  const err = Math.max(...values.map((v, i) => Math.abs(v - truth[i]!))) / scale;
  assert.ok(err < 1e-5, `rel err ${err}`);
  for (let p = 0; p < H * W; p++) assert.equal(result.attribution.data[p], Math.fround(values[labels[p]!]!));
  // A user mask with arbitrary label values (two halves): attribution = sum of the halves' true weights.
  const halves = Int32Array.from(labels, (l) => (l < 8 ? 40 : -3));
  const two = await getMethod('feature-ablation').explain(model, input, { target: 0, featureMask: halves });
  const v2 = two.extras.segmentAttributions as number[];
  const top = truth.slice(0, 8).reduce((s, v) => s + v, 0);
  const bottom = truth.slice(8).reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(v2[0]! - top) < 1e-4 * scale && Math.abs(v2[1]! - bottom) < 1e-4 * scale);
  // Explaining the other logit (−logit0) flips the sign.
  const neg = await getMethod('feature-ablation').explain(model, input, { target: 1, featureMask: halves });
  assert.ok(Math.abs((neg.extras.segmentAttributions as number[])[0]! + top) < 1e-4 * scale);
  await model.dispose();
});

test("LIME's kernel weights and weighted ridge equal sklearn (pairwise_distances cosine, Ridge, score) on 3 fixtures", () => {
  interface Case { n: number; S: number; alpha: number; data: number[]; y: number[]; weights: number[]; coef: number[]; intercept: number; score: number; localPrediction: number }
  const fixture = JSON.parse(readFileSync('test/methods/perturbation/fixtures/lime-ridge-sklearn.json', 'utf8')) as { cases: Case[] };
  assert.equal(fixture.cases.length, 3);
  for (const c of fixture.cases) {
    const data = Uint8Array.from(c.data);
    const w = limeKernelWeights(data, c.n, c.S, 0.25);
    assert.ok(Math.max(...Array.from(w, (v, i) => Math.abs(v - c.weights[i]!))) < 1e-12, 'kernel weights');
    const fit = weightedRidge(data, Float64Array.from(c.y), w, c.n, c.S, c.alpha);
    const coefErr = Math.max(...Array.from(fit.coefficients, (v, i) => Math.abs(v - c.coef[i]!)));
    assert.ok(coefErr < 1e-9, `coefficients: ${coefErr}`);
    assert.ok(Math.abs(fit.intercept - c.intercept) < 1e-9);
    assert.ok(Math.abs(fit.score - c.score) < 1e-9, `score ${fit.score} vs ${c.score}`);
    const local = fit.intercept + fit.coefficients.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(local - c.localPrediction) < 1e-9);
  }
});

test("hide modes: 'mean' keeps each segment's sum, 'blur' keeps a constant image, 'constant' uses hideValue", async () => {
  // Unit pixel weights: logit0 = Σ_s a_s · (plain sum of segment s over channels).
  const model = segmentModel(C, H, W, segmentIndicator(labels, S, C), S, (g: OnnxGraph, sums: string) => g.op('Gemm', [sums, g.addInitializer(a, [S, 1])]));
  const input = new Tensor(x.slice(), [1, C, H, W]);
  const opts = { target: 0, segmentation: 'grid', gridSize: 4 };
  const scale = Math.max(...Array.from(segmentSums(x, labels, S, C), (v, s) => Math.abs(v * a[s]!)));
  // Replacing a segment by its mean colour leaves its sum unchanged: every drop is 0.
  const mean = (await getMethod('feature-ablation').explain(model, input, { ...opts, hide: 'mean' })).extras.segmentAttributions as number[];
  assert.ok(Math.max(...mean.map(Math.abs)) < 1e-5 * scale, `mean: ${Math.max(...mean.map(Math.abs))}`);
  // hideValue v: drop = a_s · (sum_s − v · #values in s).
  const v = 0.25;
  const cst = (await getMethod('feature-ablation').explain(model, input, { ...opts, hide: 'constant', hideValue: v })).extras.segmentAttributions as number[];
  const sums = segmentSums(x, labels, S, C);
  const count = (H / 4) * (W / 4) * C;
  for (let s = 0; s < S; s++) assert.ok(Math.abs(cst[s]! - a[s]! * (sums[s]! - v * count)) < 1e-5 * scale);
  // Blurring a constant image changes nothing: every drop is 0.
  const flat = new Tensor(new Float32Array(C * H * W).fill(0.7), [1, C, H, W]);
  const blur = (await getMethod('feature-ablation').explain(model, flat, { ...opts, hide: 'blur', blurSigma: 2 })).extras.segmentAttributions as number[];
  assert.ok(Math.max(...blur.map(Math.abs)) < 1e-4, `blur: ${Math.max(...blur.map(Math.abs))}`);
  // …but blurring the random image does change the segments.
  const blurX = (await getMethod('feature-ablation').explain(model, input, { ...opts, hide: 'blur', blurSigma: 2 })).extras.segmentAttributions as number[];
  assert.ok(Math.max(...blurX.map(Math.abs)) > 1e-2 * scale);
  await model.dispose();
});
