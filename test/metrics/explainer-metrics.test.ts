import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/metrics/index.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { parameterLayers, randomizedModel } from '../../src/metrics/randomization/model-randomization.js';
import { spearman } from '../../src/metrics/stats.js';
import type { Explainer } from '../../src/metrics/types.js';
import { Tensor } from '../../src/tensor.js';
import { contributionsExplainer, explanation, fixtureNumbers, linearModel } from './helpers.js';

const close = (a: number, b: number, eps = 1e-6): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

const C = 1, H = 4, W = 4;
const n = C * H * W;

/** Input gradient of a linear model, read from the model's own Gemm weight (so it sees randomization). */
const gradientExplainer: Explainer = async (model, input, options) => {
  const layer = parameterLayers(model.graph)[0]!;
  const w = model.graph.constantValues(layer.weight) as Float32Array; // [n, K]
  const k = w.length / n;
  const t = typeof options.target === 'number' ? options.target : 0;
  const b = input.dims[0]!;
  const out = new Float32Array(b * n);
  for (let i = 0; i < b; i++) for (let j = 0; j < n; j++) out[i * n + j] = w[j * k + t]!;
  return explanation(new Tensor(out, [b, C, H, W]), new Array<number>(b).fill(t));
};

/** A map that ignores the model entirely (an edge detector would behave like this). */
const inputExplainer: Explainer = async (_model, input, options) =>
  explanation(new Tensor(input.data.map(Math.abs), input.dims), new Array<number>(input.dims[0]!).fill(typeof options.target === 'number' ? options.target : 0));

test('sensitivity: 0 for an input-independent map; ≈ r/√3 relative change for the contributions of an all-ones model', async () => {
  const ones = Array.from({ length: 2 }, () => new Array<number>(n).fill(1));
  const model = linearModel(C, H, W, ones, [0, 0]);
  const x = new Tensor(new Float32Array(n).fill(1), [1, C, H, W]);
  const zero = await evaluate(model, x, { explainer: gradientExplainer, target: 0, metrics: ['max-sensitivity', 'avg-sensitivity'] });
  close(zero.results[0]!.value, 0);
  close(zero.results[1]!.value, 0);
  // e = x (all weights 1): ‖δ‖/‖x‖ with δ ~ U[−r, r]^16 → E‖δ‖² = 16 r²/3, ‖x‖ = 4
  const r = 0.02;
  const res = await evaluate(model, x, { explainer: contributionsExplainer(C, H, W, ones), target: 0, metrics: ['max-sensitivity', 'avg-sensitivity'], metricOptions: { 'avg-sensitivity': { samples: 400 }, 'max-sensitivity': { samples: 50 } } });
  const [mx, avg] = [res.results[0]!.value, res.results[1]!.value];
  assert.ok(Math.abs(avg - r / Math.sqrt(3)) < 0.05 * (r / Math.sqrt(3)), `avg ${avg} vs ${r / Math.sqrt(3)}`);
  assert.ok(mx > avg && mx <= r, `max ${mx}`); // ‖δ‖_∞ ≤ r ⇒ ‖δ‖/4 ≤ r
});

test('lipschitz: exactly the weight for contributions of a constant-weight model', async () => {
  const twos = [new Array<number>(n).fill(2), new Array<number>(n).fill(0)];
  const model = linearModel(C, H, W, twos, [0, 0]);
  const x = new Tensor(Float32Array.from(fixtureNumbers(n, 4)), [1, C, H, W]);
  const res = await evaluate(model, x, { explainer: contributionsExplainer(C, H, W, twos), target: 0, metrics: ['lipschitz'] });
  close(res.results[0]!.value, 2, 1e-5); // ‖2δ‖/‖δ‖
});

const weights = [fixtureNumbers(n, 21), fixtureNumbers(n, 22), fixtureNumbers(n, 21)];
const model = linearModel(C, H, W, weights, [0, 0, 0]);
const x = new Tensor(Float32Array.from(fixtureNumbers(n, 8)), [1, C, H, W]);

test('randomization: a gradient map decorrelates, a model-independent map does not (Adebayo)', async () => {
  const layers = parameterLayers(model.graph);
  assert.equal(layers.length, 1);
  const grad = await evaluate(model, x, { explainer: gradientExplainer, target: 0, metrics: ['randomization'], seed: 1 });
  const g = grad.results[0]!;
  assert.equal((g.details[0]!['spearman'] as number[]).length, 1);
  // The randomized weights are a fresh Gaussian draw: the rank correlation with |w0| is the one of two unrelated vectors.
  const fresh = parameterLayers(randomizedModel(model, layers, 1, 'test').graph)[0]!;
  const w2 = randomizedModel(model, layers, 1, 'test').graph.constantValues(fresh.weight) as Float32Array;
  const expected = spearman(weights[0]!.map(Math.abs), Array.from({ length: n }, (_, j) => Math.abs(w2[j * 3]!)));
  close(g.value, expected, 1e-9);
  assert.ok(Math.abs(g.value) < 0.6);
  const still = await evaluate(model, x, { explainer: inputExplainer, target: 0, metrics: ['randomization'], seed: 1 });
  close(still.results[0]!.value, 1);
  close((still.results[0]!.details[0]!['ssim'] as number[])[0]!, 1);
  // the user's model is untouched
  const after = parameterLayers(model.graph)[0]!;
  assert.deepEqual(Array.from((model.graph.constantValues(after.weight) as Float32Array).slice(0, 3)), [weights[0]![0], weights[1]![0], weights[2]![0]].map(Math.fround));
});

test('class discrimination and random logit compare against the other class\'s map', async () => {
  // class 2 has the same weights as class 0: explaining top-1 vs top-2 depends on which is the strongest other.
  const { results } = await evaluate(model, x, { explainer: gradientExplainer, target: 0, metrics: ['class-discrimination', 'random-logit'], seed: 5 });
  const [disc, rl] = results;
  const other = disc!.details[0]!['otherClass'] as number;
  const expected = spearman(weights[0]!.map(Math.abs), weights[other]!.map(Math.abs));
  close(disc!.details[0]!['spearman'] as number, expected, 1e-9);
  if (other === 2) close(disc!.value, 1);
  const rOther = rl!.details[0]!['otherClass'] as number;
  assert.ok(rOther === 1 || rOther === 2);
  close(rl!.details[0]!['spearman'] as number, spearman(weights[0]!.map(Math.abs), weights[rOther]!.map(Math.abs)), 1e-9);
});

test('metrics that re-explain fail clearly without an explainer', async () => {
  await assert.rejects(
    evaluate(model, x, { explanation: explanation(x, [0]), metrics: ['max-sensitivity'] }),
    /re-runs the explanation method/,
  );
});
