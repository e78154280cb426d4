/**
 * The smallest values of LIME's kernelWidth and RISE's keepProbability: one rule each, the declared one. LIME takes
 * every width > 0 (its weights tend to lime's limit: the all-on sample alone); RISE declares p ≥ 2⁻⁵³, the resolution
 * of its mask draw, and refuses smaller values in the same words from explain, the CLI flag and the web form.
 * (Before, hidden floors refused widths below 1e-12 and p below 1e-9 while the specs said (0, ∞] and (0, 1].)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methodOptionsFromFlags } from '../../../src/cli/method-flags.js';
import { LumenError } from '../../../src/errors.js';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/perturbation/index.js';
import { limeKernelWeights, weightedRidge } from '../../../src/methods/perturbation/lime.js';
import { gridSegments } from '../../../src/methods/perturbation/segmentation.js';
import { Tensor } from '../../../src/tensor.js';
import type { OnnxGraph } from '../../../src/onnx/graph.js';
import { readNumberField } from '../../../web/src/forms.js';
import { segmentIndicator, segmentModel, segmentSums, testValues } from './helpers.js';

// 1×8×8 image, 2×2 grid = 4 segments; logit0 = Σ_s a_s · sum_s + 0.3
const H = 8;
const W = 8;
const { labels, count: S } = gridSegments(H, W, 2);
const pixelWeights = testValues(H * W, 3, 0.5, 1.5);
const a = testValues(S, 5, -1, 1);
const x = testValues(H * W, 7, -1, 1);
const linearModel = () =>
  segmentModel(1, H, W, segmentIndicator(labels, S, 1, pixelWeights), S, (g: OnnxGraph, sums: string) =>
    g.op('Gemm', [sums, g.addInitializer(a, [S, 1]), g.addInitializer(Float32Array.of(0.3), [1])]),
  );

test('LIME kernelWidth: every width > 0 gives finite weights; a tiny one weighs only the all-on sample (lime’s limit)', async () => {
  // 5 samples of 4 segments: all on, 3 on, 1 on, all off, 2 on
  const data = Uint8Array.of(1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1);
  for (const width of [1e-13, 1e-20, 1e-200, 5e-324]) {
    // (1e-200 and 5e-324: width² underflows to 0, and the all-on sample was 0/0 = NaN before)
    assert.deepEqual(Array.from(limeKernelWeights(data, 5, 4, width)), [1, 0, 0, 0, 0], `width ${width}`);
  }
  // unchanged at the default: √exp(−d²/w²) with d = 1 − √(k/S)
  const d = (k: number): number => (k === 0 ? 1 : 1 - Math.sqrt(k / 4));
  assert.deepEqual(Array.from(limeKernelWeights(data, 5, 4, 0.25)), [4, 3, 1, 0, 2].map((k) => Math.sqrt(Math.exp(-(d(k) * d(k)) / (0.25 * 0.25)))));

  const model = linearModel();
  const input = new Tensor(x.slice(), [1, 1, H, W]);
  const score = segmentSums(x, labels, S, 1, pixelWeights).reduce((s, v, i) => s + v * a[i]!, 0.3);
  const lime = getMethod('lime');
  for (const kernelWidth of [1e-20, 5e-324]) {
    const r = await lime.explain(model, input, { target: 0, segmentation: 'grid', gridSize: 2, hide: 'constant', numSamples: 40, kernelWidth });
    // the local model sees the original image only: no slope (ridge alpha 1), intercept = its score, R² = 1
    assert.deepEqual(r.extras.weights, [0, 0, 0, 0]);
    assert.ok(Math.abs((r.extras.intercept as number[])[0]! - score) < 1e-5, `intercept ${String(r.extras.intercept)} vs ${score}`);
    assert.deepEqual(r.extras.score, [1]);
    assert.ok(r.attribution.data.every((v) => v === 0));
  }
  // so a zero weight sum can only come from a direct caller of weightedRidge: named as such (it blamed kernelWidth)
  assert.throws(() => weightedRidge(Float64Array.of(1, 0), Float64Array.of(1, 2), Float64Array.of(0, 0), 2, 1, 1), { message: 'weightedRidge: the sample weights sum to 0; at least one must be positive' });
  // the flag and the web form read the tiny width as the number, as explain does
  assert.deepEqual(methodOptionsFromFlags(lime, { kernelWidth: '1e-20' }), { kernelWidth: 1e-20 });
  assert.equal(readNumberField(lime.info.options.find((o) => o.name === 'kernelWidth')!, '1e-20'), 1e-20);
  await model.dispose();
});

test('RISE keepProbability: declared from 2⁻⁵³ (the mask draw’s resolution), refused below in the same words everywhere', async () => {
  const rise = getMethod('rise');
  const spec = rise.info.options.find((o) => o.name === 'keepProbability')!;
  assert.deepEqual([spec.min, spec.max, spec.exclusiveMin], [2 ** -53, 1, undefined]);
  const model = linearModel();
  const input = new Tensor(x.slice(), [1, 1, H, W]);
  for (const value of [1e-20, 0, -1]) {
    const words = `must be within [1.1102230246251565e-16, 1], got ${value}`;
    await assert.rejects(rise.explain(model, input, { target: 0, numMasks: 4, keepProbability: value }), (e: unknown) => e instanceof LumenError && e.message === `rise.explain: keepProbability ${words}`);
    assert.throws(() => methodOptionsFromFlags(rise, { keepProbability: String(value) }), { message: `--keep-probability (rise) ${words}` });
    assert.throws(() => readNumberField(spec, String(value)), { message: `keep probability ${words}` });
  }
  // at the limit: finite, the estimate Σ score·mask / (N·p) with (almost surely) no cell kept is 0; 1e-9 (the old floor) too
  for (const keepProbability of [2 ** -53, 1e-9]) {
    const r = await rise.explain(model, input, { target: 0, numMasks: 50, gridSize: 2, keepProbability });
    assert.equal(r.extras.keepProbability, keepProbability);
    assert.ok(r.attribution.data.every((v) => v === 0));
  }
  await model.dispose();
});
