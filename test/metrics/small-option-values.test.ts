/**
 * The smallest values of insertion's blurSigma and lipschitz's sigma: one rule each, the declared one. Insertion takes
 * every σ > 0 (the blur tends to its middle tap); lipschitz declares σ ≥ 2⁻¹²⁶ (its δ are float32) and refuses smaller
 * values in the same words from compute, evaluate and --metric-option. (Before, hidden floors refused σ below 1e-6 and
 * 1e-12 while the specs said (0, ∞].)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../../src/metrics/evaluate.js';
import { getMetric, parseMetricOptions } from '../../src/metrics/index.js';
import { gaussianBlur } from '../../src/metrics/stats.js';
import { Tensor } from '../../src/tensor.js';
import { contributionsExplainer, explanation, fixtureNumbers, linearModel, sigmoid } from './helpers.js';
import { messageOf } from '../helpers/errors.js';

const close = (a: number, b: number, eps = 1e-6): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

// 1×2×2 image; logit0 = 3x0 − x1 + 2x2 + 0.5x3, logit1 = 0  →  p0 = σ(logit0)
const W0 = [3, -1, 2, 0.5];
const tiny = linearModel(1, 2, 2, [W0, [0, 0, 0, 0]], [0, 0]);
const x = new Tensor(Float32Array.of(1, 2, 3, 6), [1, 1, 2, 2]);
const exact = explanation(new Tensor(Float32Array.from(W0), [1, 1, 2, 2]), [0]);
const logit = (img: ArrayLike<number>): number => Array.from(img).reduce((s, v, i) => s + v * W0[i]!, 0);

test('insertion blurSigma: every σ > 0 is finite; a tiny σ starts from the image itself (flat curve)', async () => {
  for (const blurSigma of [1e-7, 1e-20, 5e-324]) {
    const { results } = await evaluate(tiny, x, { explanation: exact, metrics: ['insertion'], metricOptions: { insertion: { pixelsPerStep: 1, blurKernel: 3, blurSigma } } });
    const curve = results[0]!.details[0]!['curve'] as number[];
    assert.equal(curve.length, 5);
    for (const v of curve) close(v, sigmoid(logit(x.data)));
    close(results[0]!.value, sigmoid(logit(x.data)));
  }
  // an even kernel with a small σ: its two middle taps, ½ each (was a NaN start image: 'the input holds … NaN values')
  const { results } = await evaluate(tiny, x, { explanation: exact, metrics: ['insertion'], metricOptions: { insertion: { pixelsPerStep: 1, blurKernel: 4, blurSigma: 1e-6 } } });
  const blurred = gaussianBlur([1, 2, 3, 6], 2, 2, 4, 1e-6);
  assert.ok(blurred.every(Number.isFinite));
  const order = [0, 2, 3, 1];
  const expected = [0, 1, 2, 3, 4].map((k) => {
    const img = Array.from(blurred);
    for (const p of order.slice(0, k)) img[p] = x.data[p]!;
    return sigmoid(logit(img));
  });
  (results[0]!.details[0]!['curve'] as number[]).forEach((v, i) => close(v, expected[i]!));
  // 0 stays refused by the declared (0, ∞]
  assert.throws(() => parseMetricOptions(['insertion.blurSigma=0']), { message: 'insertion.blurSigma must be within (0, ∞], got 0' });
});

test('lipschitz sigma: declared from 2⁻¹²⁶, refused below in the same words from compute, evaluate and --metric-option', async () => {
  const spec = getMetric('lipschitz').info.options.find((o) => o.name === 'sigma')!;
  assert.deepEqual([spec.min, spec.exclusiveMin], [2 ** -126, undefined]);
  const C = 1;
  const H = 4;
  const W = 4;
  const n = C * H * W;
  const twos = [new Array<number>(n).fill(2), new Array<number>(n).fill(0)];
  const model = linearModel(C, H, W, twos, [0, 0]);
  const input = new Tensor(Float32Array.from(fixtureNumbers(n, 4)), [1, C, H, W]);
  const explainer = contributionsExplainer(C, H, W, twos);
  const attribution = (await explainer(model, input, { target: 0 })).attribution;
  const ctx = (options: Record<string, unknown>) => ({ model, input, attribution, target: 0, seed: 0, batchSize: 8, progress: () => {}, options, explain: async (t: Tensor) => (await explainer(model, t, { target: 0 })).attribution });
  for (const value of [1e-39, 0, -1]) {
    const words = `lipschitz.sigma must be within [1.1754943508222875e-38, ∞], got ${value}`;
    assert.equal(await messageOf(() => getMetric('lipschitz').compute(ctx({ sigma: value }))), words);
    assert.equal(await messageOf(() => evaluate(model, input, { explainer, target: 0, metrics: ['lipschitz'], metricOptions: { lipschitz: { sigma: value } } })), words);
    assert.equal(await messageOf(() => parseMetricOptions([`lipschitz.sigma=${value}`])), words);
  }
  // at and above the limit: finite; δ this small does not change a float32 input, so every ratio is 0 / ‖δ‖ = 0
  for (const sigma of [2 ** -126, 1e-20]) {
    const r = await getMetric('lipschitz').compute(ctx({ sigma, samples: 3 }));
    assert.deepEqual(r.details['ratios'], [0, 0, 0], `σ ${sigma}`);
  }
  // a σ the input resolves: the constant weight 2 (‖2δ‖/‖δ‖)
  close((await getMetric('lipschitz').compute(ctx({ sigma: 0.01, samples: 3 }))).value, 2, 1e-3);
  await model.dispose();
});
