import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { npyToTensor } from '../../../src/io/npy.js';
import { loadModel } from '../../../src/node/load.js';
import assert from 'node:assert/strict';
import { deeplift } from '../../../src/methods/gradient/deeplift.js';
import { Tensor } from '../../../src/tensor.js';
import { LumenError } from '../../../src/errors.js';
import { assertMatchesCaptum, conformanceModel, emptyGraph, modelOf, readNpy, referencesOf, rng, sum, uniform } from './helpers.js';

const refs = referencesOf('DeepLift');

test('the conformance set has the 9 Captum DeepLift references', () => {
  assert.equal(refs.length, 9);
});

for (const ref of refs) {
  test(`DeepLift matches Captum: ${ref.model} ${ref.input} t${ref.target}`, async () => {
    const model = await conformanceModel(ref.model);
    const e = await deeplift.explain(model, readNpy(ref.input_file), { target: ref.target, baseline: 'zeros' });
    // the attribution and Captum's convergence delta (not 0 for Captum's rules on these models)
    assertMatchesCaptum(e, ref);
  });
}

test("rules 'exact': attributions sum to f(x) − f(reference) on every conformance model (ReLU6, SiLU, squeeze-excitation, BN-ReLU-Conv included)", async () => {
  const extra = (name: string): { model: string; input_file: string; target: number; root: string } => ({ model: name, input_file: 'inputs/chelsea64.npy', target: 0, root: 'conformance-extra' });
  const cases = [...['fashion_cnn', 'tiny_resnet', 'tiny_vgg', 'tiny_mobilenet'].map((n) => ({ ...refs.find((r) => r.model === n)!, root: 'conformance' })), extra('tiny_efficientnet'), extra('tiny_densenet'), extra('tiny_keras')];
  for (const ref of cases) {
    const name = ref.model;
    const model = ref.root === 'conformance' ? await conformanceModel(name) : await loadModel(`conformance-extra/models/${name}.onnx`);
    const x = ref.root === 'conformance' ? readNpy(ref.input_file) : npyToTensor(new Uint8Array(readFileSync(`conformance-extra/${ref.input_file}`)));
    const e = await deeplift.explain(model, x, { target: ref.target, rules: 'exact' });
    const [f, f0] = [(e.extras.scores as number[])[0]!, (e.extras.referenceScores as number[])[0]!];
    const delta = (e.extras.convergenceDelta as number[])[0]!;
    assert.ok(Math.abs(f - f0) > 0.5, `${name}: the score changes (${f} vs ${f0})`);
    assert.ok(Math.abs(delta) < 1e-4 * Math.abs(f - f0) + 1e-5, `${name}: delta ${delta} for a change of ${f - f0}`);
    assert.ok(Math.abs(sum(e.attribution.data) - (f - f0)) < 1e-4 * Math.abs(f - f0) + 1e-5);
  }
});

/** image [N, 1, 2, 2] → Flatten → Gemm W1 [4, 3] → act → Gemm W2 [3, 2] → logits */
function mlp(act: string): { model: ReturnType<typeof modelOf>; w1: Float32Array; w2: Float32Array } {
  const r = rng(7);
  const w1 = uniform(12, r);
  const w2 = uniform(6, r);
  const g = emptyGraph(['N', 1, 2, 2]);
  const h = g.op('Gemm', [g.op('Flatten', ['input']), g.addInitializer(w1, [4, 3])]);
  const logits = g.op('Gemm', [g.op(act, [h]), g.addInitializer(w2, [3, 2])]);
  g.setOutputs([logits]);
  return { model: modelOf(g), w1, w2 };
}

const activations: Record<string, (v: number) => number> = {
  Relu: (v) => Math.max(0, v),
  Sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  Tanh: (v) => Math.tanh(v),
  Softplus: (v) => Math.log1p(Math.exp(v)),
  Elu: (v) => (v > 0 ? v : Math.expm1(v)),
  LeakyRelu: (v) => (v > 0 ? v : 0.01 * v),
};

for (const [act, f] of Object.entries(activations)) {
  test(`Rescale rule on ${act}: multiplier Δout/Δin between two linear layers, completeness`, async () => {
    const { model, w1, w2 } = mlp(act);
    const x = Float32Array.of(0.9, -0.4, 0.3, 1.2);
    const b = Float32Array.of(-0.2, 0.5, 0.1, 0);
    const e = await deeplift.explain(model, new Tensor(x, [1, 1, 2, 2]), { target: 1, baseline: new Tensor(b, [1, 1, 2, 2]) });
    const pre = (v: Float32Array): number[] => [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((s, i) => s + v[i]! * w1[i * 3 + j]!, 0));
    const [hx, hb] = [pre(x), pre(b)];
    const m = hx.map((h, j) => (f(h) - f(hb[j]!)) / (h - hb[j]!));
    const expected = [0, 1, 2, 3].map((i) => (x[i]! - b[i]!) * [0, 1, 2].reduce((s, j) => s + w1[i * 3 + j]! * m[j]! * w2[j * 2 + 1]!, 0));
    expected.forEach((v, i) => assert.ok(Math.abs(e.attribution.data[i]! - v) < 1e-5, `${act}[${i}]: ${e.attribution.data[i]} vs ${v}`));
    const score = (v: Float32Array): number => pre(v).reduce((s, h, j) => s + f(h) * w2[j * 2 + 1]!, 0);
    assert.ok(Math.abs(sum(e.attribution.data) - (score(x) - score(b))) < 1e-5, 'Σ attr = f(x) − f(b)');
    assert.ok(Math.abs((e.extras.convergenceDelta as number[])[0]!) < 1e-5);
  });
}

test('where the input equals the reference the plain gradient is used (no 0/0)', async () => {
  const { model } = mlp('Sigmoid');
  const x = new Tensor(Float32Array.of(0.9, -0.4, 0.3, 1.2), [1, 1, 2, 2]);
  const e = await deeplift.explain(model, x, { target: 0, baseline: x, multiplyByInputs: false });
  assert.ok(e.attribution.data.every((v) => Number.isFinite(v)));
  assert.ok(e.attribution.data.some((v) => Math.abs(v) > 1e-3), 'multipliers = gradient, not 0');
  const attr = await deeplift.explain(model, x, { target: 0, baseline: x });
  assert.ok(attr.attribution.data.every((v) => v === 0));
});

test('baselines: a number equals a constant Tensor; a per-input Tensor batch is paired item by item', async () => {
  const { model } = mlp('Tanh');
  const x = new Tensor(Float32Array.of(0.9, -0.4, 0.3, 1.2, -1, 0.5, 0.25, 0.75), [2, 1, 2, 2]);
  const a = await deeplift.explain(model, x, { target: 1, baseline: 0.3 });
  const b = await deeplift.explain(model, x, { target: 1, baseline: Tensor.filled([1, 1, 2, 2], 0.3) });
  assert.deepEqual(Array.from(a.attribution.data), Array.from(b.attribution.data));
  const refs2 = new Tensor(Float32Array.of(0, 0, 0, 0, 0.3, 0.3, 0.3, 0.3), [2, 1, 2, 2]);
  const c = await deeplift.explain(model, x, { target: 1, baseline: refs2 });
  const zeros = await deeplift.explain(model, x, { target: 1 });
  assert.deepEqual(Array.from(c.attribution.data.subarray(0, 4)), Array.from(zeros.attribution.data.subarray(0, 4)));
  assert.deepEqual(Array.from(c.attribution.data.subarray(4)), Array.from(a.attribution.data.subarray(4)));
  assert.notDeepEqual(Array.from(a.attribution.data.subarray(4)), Array.from(zeros.attribution.data.subarray(4)));
  await assert.rejects(deeplift.explain(model, x, { baseline: 'blurry' }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await assert.rejects(deeplift.explain(model, x, { rules: 'strict' }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
});

/**
 * Captum's max-pool rule by hand on input [1,1,4,4], MaxPool 2×2 stride 1 (overlapping), then a linear head:
 * gradient g at the 3×3 pooled output; first-max argmax per window; max_unpool overwrites (last window wins).
 */
function captumMaxPool(x: Float32Array, r: Float32Array, g: Float32Array, overwrite: boolean): Float32Array {
  const argmax = (v: Float32Array, oy: number, ox: number): number => {
    let best = -Infinity;
    let at = -1;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const i = (oy + dy) * 4 + ox + dx;
      if (v[i]! > best) {
        best = v[i]!;
        at = i;
      }
    }
    return at;
  };
  const fromX = new Float32Array(16);
  const fromR = new Float32Array(16);
  const plain = new Float32Array(16);
  for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 3; ox++) {
    const p = oy * 3 + ox;
    const [ix, ir] = [argmax(x, oy, ox), argmax(r, oy, ox)];
    const [y, yr] = [x[ix]!, r[ir]!];
    const m = Math.max(y, yr);
    if (overwrite) {
      fromX[ix] = g[p]! * (m - yr);
      fromR[ir] = g[p]! * (y - m);
    } else {
      fromX[ix]! += g[p]! * (m - yr);
      fromR[ir]! += g[p]! * (y - m);
    }
    plain[ix]! += g[p]!;
  }
  return x.map((v, i) => {
    const d = v - r[i]!;
    return Math.abs(d) < 1e-10 ? plain[i]! : (fromX[i]! + fromR[i]!) / d;
  });
}

test('MaxPool: Captum overwrite rule (captum) and summed rule (exact) against a hand computation', async () => {
  const g = emptyGraph(['N', 1, 4, 4]);
  const pooled = g.op('MaxPool', ['input'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [1, 1] } });
  const w = Float32Array.of(1, -2, 0.5, 1.5, -1, 2, 0.25, 1, -0.5);
  const logits = g.op('Gemm', [g.op('Flatten', [pooled]), g.addInitializer(w, [9, 1])]);
  g.setOutputs([logits]);
  const model = modelOf(g);
  // shared maxima across overlapping windows: 9 at (1,1) is the max of all four windows around it
  const x = Float32Array.of(1, 2, 0, 3, 4, 9, 1, 2, 0, 1, 5, 1, 2, 3, 1, 0);
  const r = Float32Array.of(0, 1, 2, 0, 3, 0, 0, 4, 1, 6, 0, 0, 0, 1, 2, 0);
  for (const rules of ['captum', 'exact'] as const) {
    const e = await deeplift.explain(model, new Tensor(x, [1, 1, 4, 4]), { target: 0, baseline: new Tensor(r, [1, 1, 4, 4]), rules, multiplyByInputs: false });
    const expected = captumMaxPool(x, r, w, rules === 'captum');
    expected.forEach((v, i) => assert.ok(Math.abs(e.attribution.data[i]! - v) < 1e-5, `${rules}[${i}]: ${e.attribution.data[i]} vs ${v}`));
  }
  const overwrite = captumMaxPool(x, r, w, true);
  const summed = captumMaxPool(x, r, w, false);
  assert.ok(Math.abs(overwrite[5]! - summed[5]!) > 0.1, 'the two rules differ at the shared maximum');
  const exact = await deeplift.explain(model, new Tensor(x, [1, 1, 4, 4]), { target: 0, baseline: new Tensor(r, [1, 1, 4, 4]), rules: 'exact' });
  assert.ok(Math.abs((exact.extras.convergenceDelta as number[])[0]!) < 1e-4, 'summed rule: completeness');
});

test('Captum hook order: a MaxPool right after a Relu passes its plain gradient (captum), its rule (exact)', async () => {
  const g = emptyGraph(['N', 1, 4, 4]);
  const pooled = g.op('MaxPool', [g.op('Relu', ['input'])], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  const w = Float32Array.of(1, -2, 0.5, 1.5);
  const logits = g.op('Gemm', [g.op('Flatten', [pooled]), g.addInitializer(w, [4, 1])]);
  g.setOutputs([logits]);
  const model = modelOf(g);
  const x = Float32Array.of(1, 2, -1, 3, 4, 0.5, 1, 2, -2, 1, 5, 1, 2, 3, 1, -3);
  const r = Float32Array.of(0.5, 0, 2, 0, 3, 0, 0, 4, 1, 6, 0, 0, 0, 1, 2, 0);
  const relu = (v: number): number => Math.max(0, v);
  // plain max-pool gradient at the Relu output, rescaled by the Relu
  const plain = new Float32Array(16);
  for (let oy = 0; oy < 2; oy++) for (let ox = 0; ox < 2; ox++) {
    let at = -1;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const i = (2 * oy + dy) * 4 + 2 * ox + dx;
      if (at < 0 || relu(x[i]!) > relu(x[at]!)) at = i;
    }
    plain[at] = w[oy * 2 + ox]!;
  }
  const captum = x.map((v, i) => (plain[i]! * (relu(v) - relu(r[i]!))) / (v - r[i]!));
  const e = await deeplift.explain(model, new Tensor(x, [1, 1, 4, 4]), { target: 0, baseline: new Tensor(r, [1, 1, 4, 4]), multiplyByInputs: false });
  captum.forEach((v, i) => assert.ok(Math.abs(e.attribution.data[i]! - v) < 1e-5, `[${i}]: ${e.attribution.data[i]} vs ${v}`));
  const exact = await deeplift.explain(model, new Tensor(x, [1, 1, 4, 4]), { target: 0, baseline: new Tensor(r, [1, 1, 4, 4]), rules: 'exact' });
  const d = (exact.extras.convergenceDelta as number[])[0]!;
  assert.ok(Math.abs(d) < 1e-5, `exact completeness ${d}`);
  const captumDelta = (await deeplift.explain(model, new Tensor(x, [1, 1, 4, 4]), { target: 0, baseline: new Tensor(r, [1, 1, 4, 4]) })).extras.convergenceDelta as number[];
  assert.ok(Math.abs(captumDelta[0]!) > 0.1, `Captum's rule is not complete here (${captumDelta[0]})`);
});

test("Softmax: Captum's rule, Rescale multipliers minus their mean over the item", async () => {
  const { model, w1, w2 } = mlp('Softmax');
  const x = Float32Array.of(0.9, -0.4, 0.3, 1.2);
  const b = Float32Array.of(-0.2, 0.5, 0.1, 0);
  const e = await deeplift.explain(model, new Tensor(x, [1, 1, 2, 2]), { target: 0, baseline: new Tensor(b, [1, 1, 2, 2]) });
  const pre = (v: Float32Array): number[] => [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((s, i) => s + v[i]! * w1[i * 3 + j]!, 0));
  const softmax = (h: number[]): number[] => {
    const m = Math.max(...h);
    const ex = h.map((v) => Math.exp(v - m));
    const s = ex.reduce((a, c) => a + c, 0);
    return ex.map((v) => v / s);
  };
  const [hx, hb] = [pre(x), pre(b)];
  const [sx, sb] = [softmax(hx), softmax(hb)];
  const m = [0, 1, 2].map((j) => (w2[j * 2]! * (sx[j]! - sb[j]!)) / (hx[j]! - hb[j]!));
  const mean = (m[0]! + m[1]! + m[2]!) / 3;
  const expected = [0, 1, 2, 3].map((i) => (x[i]! - b[i]!) * [0, 1, 2].reduce((s, j) => s + w1[i * 3 + j]! * (m[j]! - mean), 0));
  expected.forEach((v, i) => assert.ok(Math.abs(e.attribution.data[i]! - v) < 1e-5, `[${i}]: ${e.attribution.data[i]} vs ${v}`));
  assert.ok(Math.abs(mean) > 1e-3, 'the normalisation matters here');
});

test("SiLU (Sigmoid → Mul) keeps its plain gradient under 'captum' (one unhooked nn.SiLU); 'exact' gives Δf/Δh", async () => {
  const r = rng(3);
  const w1 = uniform(12, r);
  const w2 = uniform(6, r);
  const g = emptyGraph(['N', 1, 2, 2]);
  const h = g.op('Gemm', [g.op('Flatten', ['input']), g.addInitializer(w1, [4, 3])]);
  const silu = g.op('Mul', [h, g.op('Sigmoid', [h])]);
  const logits = g.op('Gemm', [silu, g.addInitializer(w2, [3, 2])]);
  g.setOutputs([logits]);
  const model = modelOf(g);
  const x = Float32Array.of(0.9, -0.4, 0.3, 1.2);
  const sig = (v: number): number => 1 / (1 + Math.exp(-v));
  const hx = [0, 1, 2].map((j) => [0, 1, 2, 3].reduce((s, i) => s + x[i]! * w1[i * 3 + j]!, 0));
  // zero baseline: h(0) = 0, σ(0) = 1/2
  const plainMultiplier = hx.map((v) => sig(v) + v * sig(v) * (1 - sig(v)));
  // exact: Mul by the mean of the other factor, Sigmoid rescaled: (σ + ½)/2 + (h/2)·(σ − ½)/h = σ(h) = Δ(h·σ(h))/Δh
  const rescaledMultiplier = hx.map((v) => (sig(v) + 0.5) / 2 + (v / 2) * ((sig(v) - 0.5) / v));
  for (const [rules, m] of [['captum', plainMultiplier], ['exact', rescaledMultiplier]] as const) {
    const e = await deeplift.explain(model, new Tensor(x, [1, 1, 2, 2]), { target: 1, rules, multiplyByInputs: false });
    const expected = [0, 1, 2, 3].map((i) => [0, 1, 2].reduce((s, j) => s + w1[i * 3 + j]! * m[j]! * w2[j * 2 + 1]!, 0));
    expected.forEach((v, i) => assert.ok(Math.abs(e.attribution.data[i]! - v) < 1e-5, `${rules}[${i}]: ${e.attribution.data[i]} vs ${v}`));
  }
  rescaledMultiplier.forEach((m, j) => assert.ok(Math.abs(m - sig(hx[j]!)) < 1e-12));
});
