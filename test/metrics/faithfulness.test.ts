import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/metrics/index.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { gaussianBlur } from '../../src/metrics/stats.js';
import { detailsOf } from '../../src/metrics/types.js';
import { Tensor } from '../../src/tensor.js';
import { contributionsExplainer, explanation, fixtureNumbers, linearModel, sigmoid } from './helpers.js';

const close = (a: number, b: number, eps = 1e-6): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

// 1×2×2 image of ones; logit0 = 3x0 − x1 + 2x2 + 0.5x3, logit1 = 0  →  p0 = σ(logit0).
const W0 = [3, -1, 2, 0.5];
const tiny = linearModel(1, 2, 2, [W0, [0, 0, 0, 0]], [0, 0]);
const ones = new Tensor(Float32Array.of(1, 1, 1, 1), [1, 1, 2, 2]);
const exact = explanation(new Tensor(Float32Array.from(W0), [1, 1, 2, 2]), [0]);

test('deletion AUC equals the hand-computed trapezoid (zero baseline, 1 pixel per step)', async () => {
  const { results } = await evaluate(tiny, ones, { explanation: exact, metrics: ['deletion'], metricOptions: { deletion: { pixelsPerStep: 1 } } });
  // removal order by the map: pixel 0 (3), 2 (2), 3 (0.5), 1 (−1); logits 4.5 → 1.5 → −0.5 → −1 → 0
  const curve = [4.5, 1.5, -0.5, -1, 0].map(sigmoid);
  const auc = 0.25 * (curve[0]! / 2 + curve[1]! + curve[2]! + curve[3]! + curve[4]! / 2);
  const r = results[0]!;
  close(r.value, auc);
  assert.equal(r.higherIsBetter, false);
  const details = detailsOf(r, 'deletion')[0]!;
  details.curve.forEach((v, i) => close(v, curve[i]!));
  assert.deepEqual(details.fractions, [0, 0.25, 0.5, 0.75, 1]);
  assert.throws(() => detailsOf(r, 'insertion'), /not 'insertion'/);
});

test('deletion: uneven last step and the mean baseline', async () => {
  const { results } = await evaluate(tiny, ones, { explanation: exact, metrics: ['deletion'], metricOptions: { deletion: { pixelsPerStep: 3 } } });
  // steps remove 0, 3, 4 pixels: logits 4.5, −1, 0 at fractions 0, 0.75, 1
  close(results[0]!.value, 0.75 * (sigmoid(4.5) + sigmoid(-1)) / 2 + 0.25 * (sigmoid(-1) + sigmoid(0)) / 2);

  const model = linearModel(1, 2, 2, [[1, 1, 1, 1], [0, 0, 0, 0]], [0, 0]);
  const x = new Tensor(Float32Array.of(1, 2, 3, 6), [1, 1, 2, 2]);
  const mean = await evaluate(model, x, { explanation: explanation(x.clone(), [0]), metrics: ['deletion'], metricOptions: { deletion: { pixelsPerStep: 1, baseline: 'mean' } } });
  // order 3, 2, 1, 0 replaced by the mean 3: logits 12, 9, 9, 10, 12
  (mean.results[0]!.details[0]!['curve'] as number[]).forEach((v, i) => close(v, sigmoid([12, 9, 9, 10, 12][i]!)));
});

test('insertion AUC equals the hand-computed value from the blurred start', async () => {
  const x = new Tensor(Float32Array.of(1, 2, 3, 6), [1, 1, 2, 2]);
  const { results } = await evaluate(tiny, x, { explanation: exact, metrics: ['insertion'], metricOptions: { insertion: { pixelsPerStep: 1, blurKernel: 3, blurSigma: 1 } } });
  const blurred = gaussianBlur([1, 2, 3, 6], 2, 2, 3, 1);
  const order = [0, 2, 3, 1];
  const curve = [0, 1, 2, 3, 4].map((k) => {
    const img = Array.from(blurred);
    for (const p of order.slice(0, k)) img[p] = x.data[p]!;
    return sigmoid(img.reduce((s, v, i) => s + v * W0[i]!, 0));
  });
  close(results[0]!.value, 0.25 * (curve[0]! / 2 + curve[1]! + curve[2]! + curve[3]! + curve[4]! / 2));
  close(curve[4]!, sigmoid(3 - 2 + 6 + 3)); // the last point is the original image
});

// 3×8×8 linear model with pseudo-random weights; class 1 is a constant 0 logit.
const C = 3, H = 8, Wd = 8;
const weights = [fixtureNumbers(C * H * Wd, 11, 0.15), new Array<number>(C * H * Wd).fill(0)];
const model = linearModel(C, H, Wd, weights, [0.5, 0]);
const image = new Tensor(Float32Array.from(fixtureNumbers(C * H * Wd, 5, 1)), [1, C, H, Wd]);
const contributions = contributionsExplainer(C, H, Wd, weights);

async function scoresFor(map: Tensor, metrics: string[]): Promise<Record<string, number>> {
  const { results } = await evaluate(model, image, { explanation: explanation(map, [0]), metrics, seed: 3, metricOptions: { road: { noise: 0 } } });
  return Object.fromEntries(results.map((r) => [r.metric, r.value]));
}

test('exact contributions beat a random map and the reversed map (deletion, insertion, ROAD, pixel flipping)', async () => {
  const exactMap = (await contributions(model, image, { target: 0 })).attribution;
  const reversed = new Tensor(exactMap.data.map((v) => -v), exactMap.dims);
  const random = new Tensor(Float32Array.from(fixtureNumbers(H * Wd, 99, 1)), exactMap.dims);
  const metrics = ['deletion', 'insertion', 'road', 'pixel-flipping', 'faithfulness-correlation'];
  const [e, r, v] = [await scoresFor(exactMap, metrics), await scoresFor(random, metrics), await scoresFor(reversed, metrics)];
  for (const [name, s] of [['random', r], ['reversed', v]] as const) {
    assert.ok(e['deletion']! < s['deletion']!, `deletion exact ${e['deletion']} vs ${name} ${s['deletion']}`);
    assert.ok(e['insertion']! > s['insertion']!, `insertion exact ${e['insertion']} vs ${name} ${s['insertion']}`);
    assert.ok(e['road']! > s['road']!, `road exact ${e['road']} vs ${name} ${s['road']}`);
    assert.ok(e['pixel-flipping']! < s['pixel-flipping']!, `pixel-flipping exact vs ${name}`);
  }
  // Linear model + logit output + zero baseline: the drop of a subset IS the sum of its contributions.
  close(e['faithfulness-correlation']!, 1, 1e-5);
  close(v['faithfulness-correlation']!, -1, 1e-5);
  assert.ok(Math.abs(r['faithfulness-correlation']!) < 0.5);
  assert.ok(e['road']! > 0 && v['road']! < 0);
});

test('avg-drop and increase in confidence by hand', async () => {
  // map [0.5, 0, 1, 0] → min-max mask [0.5, 0, 1, 0] → masked logit 3·0.5 + 2·1 = 3.5
  const map = new Tensor(Float32Array.of(0.5, 0, 1, 0), [1, 1, 2, 2]);
  const { results } = await evaluate(tiny, ones, { explanation: explanation(map, [0]), metrics: ['avg-drop'] });
  close(results[0]!.value, ((sigmoid(4.5) - sigmoid(3.5)) / sigmoid(4.5)) * 100, 1e-4); // percent of float32 probabilities
  assert.equal(results[0]!.details[0]!['increase'], 0);
  // exact map [3, −1, 2, 0.5] → mask [1, 0, 0.75, 0.375] → logit 4.6875 > 4.5: no drop, an increase
  const up = await evaluate(tiny, ones, { explanation: exact, metrics: ['avg-drop', 'increase-in-confidence'] });
  close(up.results[0]!.value, 0);
  assert.equal(up.results[0]!.details[0]!['increase'], 1);
  assert.equal(up.results[1]!.value, 1);
  close(detailsOf(up.results[1]!, 'increase-in-confidence')[0]!.masked, sigmoid(4.6875), 1e-6);
});

test('infidelity: 0 for the true gradient of a linear model, > 0 for a scaled one (normalized ≈ 0)', async () => {
  const gradient = new Tensor(Float32Array.from(weights[0]!), [1, C, H, Wd]);
  const good = await evaluate(model, image, { explanation: explanation(gradient, [0]), metrics: ['infidelity'], metricOptions: { infidelity: { sigma: 0.01 } } });
  assert.ok(good.results[0]!.value < 1e-9, `infidelity ${good.results[0]!.value}`);
  const doubled = new Tensor(gradient.data.map((v) => 2 * v), gradient.dims);
  const bad = await evaluate(model, image, { explanation: explanation(doubled, [0]), metrics: ['infidelity'], metricOptions: { infidelity: { sigma: 0.01 } } });
  // (2Iᵀw − Iᵀw)² = (Iᵀw)², E ≈ σ²‖w‖² (10 samples: within a factor 4)
  const expected = 0.01 ** 2 * weights[0]!.reduce((s, w) => s + w * w, 0);
  const value = bad.results[0]!.value;
  assert.ok(value > expected / 4 && value < expected * 4, `${value} vs ≈${expected}`);
  assert.ok((bad.results[0]!.details[0]!['normalized'] as number) < 1e-9);
});

test('pixel flipping with a zero baseline is the deletion curve; with noise it stays within the image range', async () => {
  const opts = { 'pixel-flipping': { baseline: 'zero', pixelsPerStep: 1 }, deletion: { pixelsPerStep: 1 } };
  const { results } = await evaluate(tiny, ones, { explanation: exact, metrics: ['pixel-flipping', 'deletion'], metricOptions: opts });
  close(results[0]!.value, results[1]!.value, 1e-12);
  // uniform noise in [min, max] of a constant image is that constant: nothing changes, the curve is flat at σ(4.5)
  const flat = await evaluate(tiny, ones, { explanation: exact, metrics: ['pixel-flipping'], metricOptions: { 'pixel-flipping': { pixelsPerStep: 1 } } });
  close(flat.results[0]!.value, sigmoid(4.5));
});
