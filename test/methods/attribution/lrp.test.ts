import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lrp, lrpParameters } from '../../../src/methods/gradient/lrp.js';
import { loadModel } from '../../../src/node/load.js';
import { foldBatchNormalization } from '../../../src/autodiff/canonizers.js';
import { OnnxGraph } from '../../../src/onnx/graph.js';
import { Tensor } from '../../../src/tensor.js';
import { LumenError } from '../../../src/errors.js';
import { assertMatchesCaptum, conformanceModel, emptyGraph, manifest, modelOf, readNpy, referencesOf, relErr, rng, sum, uniform } from './helpers.js';

const refs = referencesOf('LRP');

test('the conformance set has 7 Captum LRP references and 2 documented failures', () => {
  assert.equal(refs.length, 7);
  assert.deepEqual(manifest.failures.filter((f) => f.method === 'LRP').map((f) => f.model).sort(), ['tiny_mobilenet', 'tiny_resnet']);
});

for (const ref of refs) {
  test(`LRP captum-epsilon matches Captum: ${ref.model} ${ref.input} t${ref.target}`, async () => {
    const model = await conformanceModel(ref.model);
    const e = await lrp.explain(model, readNpy(ref.input_file), { target: ref.target, composite: 'captum-epsilon', epsilon: 1e-9 });
    assertMatchesCaptum(e, ref);
  });
}

test('tiny_resnet (where Captum blows up on the residual Add): LRP-ε with the sum rule equals input × gradient', async () => {
  const x = readNpy('inputs/chelsea64.npy');
  const ixg = manifest.references.find((r) => r.model === 'tiny_resnet' && r.method === 'InputXGradient')!;
  const e = await lrp.explain(await conformanceModel('tiny_resnet'), x, { target: ixg.target, composite: 'captum-epsilon' });
  const err = relErr(e.attribution.data, readNpy(ixg.file).data);
  assert.ok(err < 1e-3, `relative error vs Captum InputXGradient ${err.toExponential(2)}`);
  assert.ok(Math.max(...Array.from(e.attribution.data, Math.abs)) < 10, 'no 1e9-sized values');
});

// ------------------------------------------------------------------------------------------------------------
// Rules against a hand computation on a dense network (1×1 convolutions on a 1×1 image):
// input [1,3,1,1] → Conv1 (4) → Relu → Conv2 (4) → Relu → Flatten → Gemm (2)

type Vec = number[];
type Mat = number[][]; // [out][in]

const stab = (v: number, e: number): number => v + (v < 0 ? -e : e);
const pos = (v: number): number => Math.max(0, v);
const neg = (v: number): number => Math.min(0, v);
const affine = (x: Vec, w: Mat, b: Vec): Vec => w.map((row, k) => row.reduce((s, v, j) => s + v * x[j]!, b[k]!));

/** R_j = Σ_k c(j,k) R_k / stab(Σ_j c(j,k) + extra_k) for a contribution function c. */
function redistribute(nIn: number, rOut: Vec, c: (j: number, k: number) => number, extra: (k: number) => number, e: number): Vec {
  const z = rOut.map((_, k) => Array.from({ length: nIn }, (_, j) => c(j, k)).reduce((a, b) => a + b, 0) + extra(k));
  return Array.from({ length: nIn }, (_, j) => rOut.reduce((s, r, k) => s + (c(j, k) * r) / stab(z[k]!, e), 0));
}

const rules = {
  epsilon: (x: Vec, w: Mat, b: Vec, r: Vec, e: number) => redistribute(x.length, r, (j, k) => x[j]! * w[k]![j]!, (k) => b[k]!, e),
  /** zennit's generalized γ: outputs z > 0 use W + γW⁺ on x⁺ (W + γW⁻ on x⁻), outputs z < 0 the opposite. */
  gamma: (x: Vec, w: Mat, b: Vec, r: Vec, e: number, g: number) => {
    const z = affine(x, w, b);
    const up = (j: number, k: number): number => x[j]! * (w[k]![j]! + g * (x[j]! > 0 ? pos : neg)(w[k]![j]!));
    const down = (j: number, k: number): number => x[j]! * (w[k]![j]! + g * (x[j]! > 0 ? neg : pos)(w[k]![j]!));
    const masked = (sign: number): Vec => r.map((v, k) => (Math.sign(z[k]!) === sign ? v : 0));
    const a = redistribute(x.length, masked(1), up, (k) => b[k]! + g * pos(b[k]!), e);
    const c = redistribute(x.length, masked(-1), down, (k) => b[k]! + g * neg(b[k]!), e);
    return a.map((v, j) => v + c[j]!);
  },
  alphaBeta: (x: Vec, w: Mat, b: Vec, r: Vec, e: number, alpha: number, beta: number) => {
    const p = redistribute(x.length, r, (j, k) => (x[j]! > 0 ? x[j]! * pos(w[k]![j]!) : x[j]! * neg(w[k]![j]!)), (k) => pos(b[k]!), e);
    const n = beta === 0 ? x.map(() => 0) : redistribute(x.length, r, (j, k) => (x[j]! > 0 ? x[j]! * neg(w[k]![j]!) : x[j]! * pos(w[k]![j]!)), (k) => neg(b[k]!), e);
    return p.map((v, j) => alpha * v - beta * n[j]!);
  },
  flat: (x: Vec, _w: Mat, _b: Vec, r: Vec, e: number) => redistribute(x.length, r, () => 1, () => 0, e),
  wSquare: (x: Vec, w: Mat, b: Vec, r: Vec, e: number) => redistribute(x.length, r, (j, k) => w[k]![j]! ** 2, (k) => b[k]! ** 2, e),
  zBox: (x: Vec, w: Mat, _b: Vec, r: Vec, e: number, l: number, h: number) =>
    redistribute(x.length, r, (j, k) => x[j]! * w[k]![j]! - l * pos(w[k]![j]!) - h * neg(w[k]![j]!), () => 0, e),
};

function denseNet(withRelu = true): { model: ReturnType<typeof modelOf>; w1: Mat; b1: Vec; w2: Mat; b2: Vec; w3: Mat; b3: Vec } {
  const r = rng(11);
  const mat = (o: number, i: number): Mat => Array.from({ length: o }, () => Array.from(uniform(i, r)));
  const [w1, w2, w3] = [mat(4, 3), mat(4, 4), mat(2, 4)];
  const [b1, b2, b3] = [Array.from(uniform(4, r, 0.3)), Array.from(uniform(4, r, 0.3)), Array.from(uniform(2, r, 0.3))];
  const g = emptyGraph(['N', 3, 1, 1]);
  const conv = (x: string, w: Mat, b: Vec): string =>
    g.op('Conv', [x, g.addInitializer(Float32Array.from(w.flat()), [w.length, w[0]!.length, 1, 1]), g.addInitializer(Float32Array.from(b), [b.length])], { kernel_shape: { ints: [1, 1] } });
  const act = (t: string): string => (withRelu ? g.op('Relu', [t]) : t);
  const h2 = act(conv(act(conv('input', w1, b1)), w2, b2));
  // Gemm B is [in, out]
  const bT = Float32Array.from({ length: 8 }, (_, i) => w3[i % 2]![Math.floor(i / 2)]!);
  const logits = g.op('Gemm', [g.op('Flatten', [h2]), g.addInitializer(bT, [4, 2]), g.addInitializer(Float32Array.from(b3), [2])]);
  g.setOutputs([logits]);
  return { model: modelOf(g), w1, b1, w2, b2, w3, b3 };
}

for (const c of [
  { composite: 'captum-epsilon', first: 'epsilon', conv: 'epsilon' },
  { composite: 'epsilon-gamma-box', first: 'zbox', conv: 'gamma', relu: false },
  { composite: 'epsilon-alpha2-beta1-flat', first: 'flat', conv: 'alphaBeta', relu: false },
  { composite: 'epsilon-plus', first: 'zplus', conv: 'zplus' },
  { composite: 'epsilon-plus-flat', first: 'flat', conv: 'zplus' },
  { composite: 'epsilon-gamma-box', first: 'zbox', conv: 'gamma' },
  { composite: 'epsilon-alpha2-beta1', first: 'alphaBeta', conv: 'alphaBeta' },
  { composite: 'epsilon-plus', first: 'wsquare', conv: 'zplus', firstLayer: 'wsquare' },
] as const) {
  const relu = !('relu' in c) || c.relu;
  test(`LRP ${c.composite}${'firstLayer' in c ? ` + firstLayer ${c.firstLayer}` : ''}${relu ? '' : ' (no ReLU: negative hidden inputs and outputs)'}: every layer's rule against a hand computation`, async () => {
    const { model, w1, b1, w2, b2, w3, b3 } = denseNet(relu);
    const x = [0.8, -0.6, 1.3];
    const target = 1;
    const act = (v: number): number => (relu ? pos(v) : v);
    const h1 = affine(x, w1, b1).map(act);
    const h2 = affine(h1, w2, b2).map(act);
    if (!relu) assert.ok(h1.some((v) => v < 0) && h2.some((v) => v < 0), 'hidden values of both signs');
    const logits = affine(h2, w3, b3);
    const eps = c.composite === 'captum-epsilon' ? 1e-9 : 1e-6;
    const st = 1e-6;
    const [low, high] = [-1.5, 2];
    const rOut = logits.map((v, k) => (k === target ? v : 0));
    const rH2 = rules.epsilon(h2, w3, b3, rOut, eps);
    const convRule = (xIn: Vec, w: Mat, b: Vec, r: Vec, kind: string): Vec =>
      kind === 'epsilon' ? rules.epsilon(xIn, w, b, r, eps)
      : kind === 'zplus' ? rules.alphaBeta(xIn, w, b, r, st, 1, 0)
      : kind === 'alphaBeta' ? rules.alphaBeta(xIn, w, b, r, st, 2, 1)
      : kind === 'gamma' ? rules.gamma(xIn, w, b, r, st, 0.25)
      : kind === 'flat' ? rules.flat(xIn, w, b, r, st)
      : kind === 'wsquare' ? rules.wSquare(xIn, w, b, r, st)
      : rules.zBox(xIn, w, b, r, st, low, high);
    const rH1 = convRule(h1, w2, b2, rH2, c.conv);
    const expected = convRule(x, w1, b1, rH1, c.first);
    const e = await lrp.explain(model, new Tensor(Float32Array.from(x), [1, 3, 1, 1]), {
      target,
      composite: c.composite,
      low,
      high,
      ...('firstLayer' in c ? { firstLayer: c.firstLayer } : {}),
    });
    const got = Array.from(e.attribution.data);
    const scale = Math.max(...expected.map(Math.abs));
    assert.ok(scale > 1e-3, 'non-trivial relevance');
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4 * scale, `R[${i}] = ${v}, expected ${expected[i]}`));
  });
}

// ------------------------------------------------------------------------------------------------------------
// Conservation: bias-free model with MaxPool, a residual Add and global average pooling

function biasFreeResidualNet(): ReturnType<typeof modelOf> {
  const r = rng(5);
  const g = emptyGraph(['N', 2, 6, 6]);
  const conv = (x: string, cin: number, cout: number): string =>
    g.op('Conv', [x, g.addInitializer(uniform(cout * cin * 9, r, 0.5), [cout, cin, 3, 3])], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } });
  const a = g.op('MaxPool', [g.op('Relu', [conv('input', 2, 4)])], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  const b = g.op('Relu', [conv(a, 4, 4)]);
  const sumNode = g.op('Relu', [g.op('Add', [conv(b, 4, 4), a])]);
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [sumNode])]);
  const logits = g.op('Gemm', [pooled, g.addInitializer(uniform(12, r), [4, 3])]);
  g.setOutputs([logits]);
  return modelOf(g);
}

test('conservation: Σ relevance = logit on a bias-free residual model, for every conservative composite', async () => {
  const model = biasFreeResidualNet();
  const x = new Tensor(uniform(72, rng(9)), [1, 2, 6, 6]);
  const { logits } = await model.forward(x);
  const target = logits.data.indexOf(Math.max(...logits.data));
  const logit = logits.data[target]!;
  assert.ok(Math.abs(logit) > 0.05, `logit ${logit}`);
  for (const composite of ['captum-epsilon', 'epsilon', 'epsilon-plus', 'epsilon-plus-flat', 'epsilon-gamma-box'] as const) {
    const e = await lrp.explain(model, x, { target, composite, low: -1, high: 1 });
    const total = sum(e.attribution.data);
    assert.ok(Math.abs(total - logit) < 1e-4 * Math.abs(logit) + 1e-6, `${composite}: Σ R = ${total}, logit ${logit}`);
    assert.ok(Math.abs((e.extras.convergenceDelta as number[])[0]!) < 1e-4 * Math.abs(logit) + 1e-6);
  }
});

test('the residual Add splits relevance in proportion to its two inputs', async () => {
  // y = relu(W·x) + x on 2 features, logit = Σ y: relevance of each Add input = its share of y
  const g = emptyGraph(['N', 2, 1, 1]);
  const w = Float32Array.of(2, -1, 0.5, 1);
  const branch = g.op('Relu', [g.op('Conv', ['input', g.addInitializer(w, [2, 2, 1, 1])], { kernel_shape: { ints: [1, 1] } })]);
  const added = g.op('Add', [branch, 'input']);
  const logits = g.op('Gemm', [g.op('Flatten', [added]), g.addInitializer(Float32Array.of(1, 1), [2, 1])]);
  g.setOutputs([logits]);
  const x = [0.6, 0.3];
  const e = await lrp.explain(modelOf(g), new Tensor(Float32Array.from(x), [1, 2, 1, 1]), { target: 0, composite: 'epsilon', epsilon: 1e-9 });
  // branch = relu([2·0.6 − 0.3, 0.5·0.6 + 0.3]) = [0.9, 0.6]; its relevance goes to x through the conv by ε (z-rule)
  const branchR = [0.9, 0.6];
  const z = [0.9, 0.6];
  const viaConv = [0, 1].map((j) => [0, 1].reduce((s, k) => s + (x[j]! * w[k * 2 + j]! * branchR[k]!) / z[k]!, 0));
  const expected = x.map((v, j) => v + viaConv[j]!);
  expected.forEach((v, j) => assert.ok(Math.abs(e.attribution.data[j]! - v) < 1e-5, `R[${j}] ${e.attribution.data[j]} vs ${v}`));
  assert.ok(Math.abs(sum(e.attribution.data) - 2.4) < 1e-5, 'Σ R = logit = 0.9 + 0.6 + 0.6 + 0.3');
});

// ------------------------------------------------------------------------------------------------------------
// Canonizer

test('BatchNormalization folds into the preceding Conv and Gemm: W·s, (b − μ)·s + β', async () => {
  const g = emptyGraph(['N', 1, 2, 2]);
  const conv = g.op('Conv', ['input', g.addInitializer(Float32Array.of(1, -2), [2, 1, 1, 1]), g.addInitializer(Float32Array.of(0.5, 0.1), [2])], { kernel_shape: { ints: [1, 1] } });
  const bn = (x: string, scale: number[], bias: number[], mean: number[], variance: number[]): string =>
    g.op('BatchNormalization', [x, ...[scale, bias, mean, variance].map((v) => g.addInitializer(Float32Array.from(v), [v.length]))], { epsilon: { f: 0.01 } });
  const a = g.op('Relu', [bn(conv, [2, 0.5], [0.1, -0.2], [0.3, 0.4], [0.99, 3.99])]);
  const flat = g.op('Flatten', [a]);
  const dense = g.op('Gemm', [flat, g.addInitializer(uniform(8 * 3, rng(3)), [8, 3]), g.addInitializer(Float32Array.of(0.1, 0.2, 0.3), [3])]);
  const logits = bn(dense, [1.5, -1, 0.25], [0, 0.3, 0.1], [0.2, -0.1, 0.5], [0.24, 0.09, 1.0]);
  g.setOutputs([logits]);
  const { model: folded, folded: names } = foldBatchNormalization(g.model);
  assert.equal(names.length, 2);
  const fg = new OnnxGraph(folded);
  assert.ok(!fg.nodes.some((n) => n.opType === 'BatchNormalization'));
  const convNode = fg.nodes.find((n) => n.opType === 'Conv')!;
  // s = γ/√(σ² + 0.01) = [2/1, 0.5/2]
  assert.deepEqual(fg.constantNumbers(convNode.input[1]!)!.map((v) => +v.toFixed(6)), [2, -0.5]);
  assert.deepEqual(fg.constantNumbers(convNode.input[2]!)!.map((v) => +v.toFixed(6)), [+((0.5 - 0.3) * 2 + 0.1).toFixed(6), +((0.1 - 0.4) * 0.25 - 0.2).toFixed(6)]);
  const x = new Tensor(uniform(4, rng(4)), [1, 1, 2, 2]);
  const [before, after] = await Promise.all([modelOf(g).forward(x), modelOf(fg).forward(x)]);
  assert.ok(relErr(after.logits.data, before.logits.data) < 1e-5, 'same function');
  const e = await lrp.explain(modelOf(g), x, { target: 0, composite: 'epsilon-plus-flat' });
  assert.match(String(e.extras.foldedBatchNorms), /BatchNormalization/);
});

test('bad options are usage errors', async () => {
  const model = biasFreeResidualNet();
  const x = new Tensor(uniform(72, rng(9)), [1, 2, 6, 6]);
  for (const bad of [{ composite: 'zennit' }, { firstLayer: 'box' }, { low: [1, 2, 3] }, { epsilon: -1 }, { target: { class: 0, output: 'probability' as const } }]) {
    await assert.rejects(lrp.explain(model, x, { target: 0, ...bad }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION', JSON.stringify(bad));
  }
});

test('in-graph normalization before the first layer: relevance passes it unchanged (same map as feeding the normalized input)', async () => {
  const r = rng(21);
  const weights = { conv: uniform(4 * 3 * 9, r, 0.5), bias: uniform(4, r, 0.2), dense: uniform(8, r) };
  const build = (normalizeInGraph: boolean): ReturnType<typeof modelOf> => {
    const g = emptyGraph(['N', 3, 5, 5]);
    let x = 'input';
    if (normalizeInGraph) {
      x = g.op('Sub', [x, g.addInitializer(Float32Array.of(0.5, 0.4, 0.3), [1, 3, 1, 1])]);
      x = g.op('Div', [x, g.addInitializer(Float32Array.of(0.2, 0.25, 0.5), [1, 3, 1, 1])]);
    }
    const conv = g.op('Conv', [x, g.addInitializer(weights.conv, [4, 3, 3, 3]), g.addInitializer(weights.bias, [4])], { kernel_shape: { ints: [3, 3] } });
    const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Relu', [conv])])]);
    g.setOutputs([g.op('Gemm', [pooled, g.addInitializer(weights.dense, [4, 2])])]);
    return modelOf(g);
  };
  const raw = Float32Array.from(uniform(75, rng(22)), (v) => 0.5 + 0.5 * v);
  const normalized = raw.map((v, i) => (v - [0.5, 0.4, 0.3][Math.floor(i / 25)]!) / [0.2, 0.25, 0.5][Math.floor(i / 25)]!);
  for (const composite of ['captum-epsilon', 'epsilon-plus-flat', 'epsilon-gamma-box'] as const) {
    const bounds = { low: -2.5, high: 2.5 };
    const inGraph = await lrp.explain(build(true), new Tensor(raw, [1, 3, 5, 5]), { target: 1, composite, ...bounds });
    const outside = await lrp.explain(build(false), new Tensor(normalized, [1, 3, 5, 5]), { target: 1, composite, ...bounds });
    const err = relErr(inGraph.attribution.data, outside.attribution.data);
    assert.ok(err < 1e-4, `${composite}: relative difference ${err}`);
    assert.ok(Math.max(...Array.from(outside.attribution.data, Math.abs)) > 1e-3);
  }
});

test('ZBox default bounds: normalized pixel 0 and 1 from the model metadata, else the data range rounded outward to ±2^k', async () => {
  // the bundled Fashion-MNIST model's sidecar declares mean 0.286, std 0.353
  const withNorm = await loadModel('models/fashion-cnn.onnx');
  const p = lrpParameters(withNorm, Tensor.zeros([1, 1, 28, 28]), { composite: 'epsilon-gamma-box' });
  assert.ok(Math.abs(p.low[0]! - (0 - 0.286) / 0.353) < 1e-6 && Math.abs(p.high[0]! - (1 - 0.286) / 0.353) < 1e-6, `${p.low} ${p.high}`);
  const bare = biasFreeResidualNet();
  const y = new Tensor(Float32Array.from({ length: 72 }, (_, i) => (i === 0 ? -1.3 : i === 1 ? 0.6 : 0)), [1, 2, 6, 6]);
  const q = lrpParameters(bare, y, { composite: 'epsilon-gamma-box' });
  assert.deepEqual([q.low, q.high], [[-2], [1]]);
  const positiveOnly = lrpParameters(bare, new Tensor(Float32Array.from({ length: 72 }, (_, i) => 0.01 + i / 100), [1, 2, 6, 6]), { composite: 'epsilon-gamma-box' });
  assert.deepEqual([positiveOnly.low, positiveOnly.high], [[0], [1]]);
  assert.deepEqual(lrpParameters(bare, y, { composite: 'epsilon-gamma-box', low: '-1,-2', high: 3 }).low, [-1, -2]);
});

test('captum-epsilon rules a BatchNormalization as its own ε layer; canonize folds it into the Conv first', async () => {
  const r = rng(31);
  const w1: Mat = Array.from({ length: 3 }, () => Array.from(uniform(2, r)));
  const b1 = Array.from(uniform(3, r, 0.3));
  const [gamma, beta, mean, variance] = [[1.5, 0.7, -1.1], [0.2, -0.1, 0.3], [0.1, -0.2, 0.05], [0.5, 2, 1]];
  const w2: Mat = Array.from({ length: 2 }, () => Array.from(uniform(3, r)));
  const g = emptyGraph(['N', 2, 1, 1]);
  const conv = g.op('Conv', ['input', g.addInitializer(Float32Array.from(w1.flat()), [3, 2, 1, 1]), g.addInitializer(Float32Array.from(b1), [3])], { kernel_shape: { ints: [1, 1] } });
  const bn = g.op('BatchNormalization', [conv, ...[gamma, beta, mean, variance].map((v) => g.addInitializer(Float32Array.from(v), [3]))], { epsilon: { f: 0 } });
  const w2T = Float32Array.from({ length: 6 }, (_, i) => w2[i % 2]![Math.floor(i / 2)]!);
  g.setOutputs([g.op('Gemm', [g.op('Flatten', [g.op('Relu', [bn])]), g.addInitializer(w2T, [3, 2])])]);
  const model = modelOf(g);
  const x = [0.7, -1.2];
  const s = gamma.map((v, c) => v / Math.sqrt(variance[c]!));
  const z1 = affine(x, w1, b1);
  const z2 = z1.map((v, c) => (v - mean[c]!) * s[c]! + beta[c]!);
  const a = z2.map(pos);
  const logits = affine(a, w2, [0, 0]);
  const eps = 1e-9;
  const rA = rules.epsilon(a, w2, [0, 0], logits.map((v, k) => (k === 0 ? v : 0)), eps);
  // BN by ε: R_z1 = z1 ⊙ s ⊙ R_z2 / stab(z2), then the Conv by ε
  const rZ1 = z1.map((v, c) => (v * s[c]! * rA[c]!) / stab(z2[c]!, eps));
  const separate = rules.epsilon(x, w1, b1, rZ1, eps);
  // folded: one layer W·s, (b − μ)·s + β
  const folded = rules.epsilon(x, w1.map((row, c) => row.map((v) => v * s[c]!)), b1.map((v, c) => (v - mean[c]!) * s[c]! + beta[c]!), rA, eps);
  const input = new Tensor(Float32Array.from(x), [1, 2, 1, 1]);
  const e1 = await lrp.explain(model, input, { target: 0, composite: 'captum-epsilon' });
  const e2 = await lrp.explain(model, input, { target: 0, composite: 'captum-epsilon', canonize: true });
  separate.forEach((v, i) => assert.ok(Math.abs(e1.attribution.data[i]! - v) < 1e-5 * Math.max(1, Math.abs(v)), `separate[${i}] ${e1.attribution.data[i]} vs ${v}`));
  folded.forEach((v, i) => assert.ok(Math.abs(e2.attribution.data[i]! - v) < 1e-5 * Math.max(1, Math.abs(v)), `folded[${i}] ${e2.attribution.data[i]} vs ${v}`));
  assert.equal(e1.extras.foldedBatchNorms, undefined);
  assert.ok(typeof e2.extras.foldedBatchNorms === 'string');
});

test('gated products (SiLU x·σ(x), squeeze-excitation x·σ(·)): the signal takes all relevance, conservation holds', async () => {
  const r = rng(41);
  const g = emptyGraph(['N', 2, 5, 5]);
  const conv = (x: string, cin: number, cout: number, k: number): string =>
    g.op('Conv', [x, g.addInitializer(uniform(cout * cin * k * k, r, 0.6), [cout, cin, k, k])], { kernel_shape: { ints: [k, k] }, pads: { ints: Array(4).fill((k - 1) / 2) } });
  const c1 = conv('input', 2, 4, 3);
  const silu = g.op('Mul', [c1, g.op('Sigmoid', [c1])]);
  const h = conv(silu, 4, 4, 3);
  const excitation = g.op('Sigmoid', [conv(g.op('GlobalAveragePool', [h]), 4, 4, 1)]);
  const scaled = g.op('Mul', [excitation, h]);
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [scaled])]), g.addInitializer(uniform(12, r), [4, 3])]);
  g.setOutputs([logits]);
  const model = modelOf(g);
  const x = new Tensor(uniform(50, rng(42)), [1, 2, 5, 5]);
  const out = await model.forward(x);
  for (const target of [0, 1, 2]) {
    const logit = out.logits.data[target]!;
    for (const composite of ['captum-epsilon', 'epsilon', 'epsilon-gamma-box'] as const) {
      const e = await lrp.explain(model, x, { target, composite, low: -1, high: 1 });
      const total = sum(e.attribution.data);
      assert.ok(Math.abs(total - logit) < 1e-4 * Math.abs(logit) + 1e-6, `${composite} t${target}: Σ R = ${total}, logit ${logit}`);
    }
  }
});
