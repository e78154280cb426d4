import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMethod, listMethods } from '../../src/api.js';
import { LumenError } from '../../src/errors.js';
import { LumenModel } from '../../src/model.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import type { OnnxGraph } from '../../src/onnx/graph.js';
import { rolloutRow } from '../../src/methods/attention/rollout.js';
import { relevanceRow } from '../../src/methods/attention/relevance.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel, randomTensor, readNpy, relErr, rng } from '../autodiff/helpers.js';

const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'transformers');
const runtime = nodeRuntime({ threads: 1 });

/** Row-stochastic random attention [heads, T, T]. */
function randomAttention(heads: number, t: number, r: () => number): Float32Array {
  const a = Float32Array.from({ length: heads * t * t }, () => Math.exp(3 * r()));
  for (let row = 0; row < heads * t; row++) {
    let s = 0;
    for (let j = 0; j < t; j++) s += a[row * t + j]!;
    for (let j = 0; j < t; j++) a[row * t + j]! /= s;
  }
  return a;
}

test('rollout invariants: identity attention leaves the class token alone (patches uniform, 0); uniform attention gives a uniform patch map; rows sum to 1', () => {
  const t = 10;
  const heads = [2, 2, 2];
  const identity = Float32Array.from({ length: 2 * t * t }, (_, i) => (Math.floor(i / t) % t === i % t ? 1 : 0));
  const id = rolloutRow([identity, identity, identity], heads, t, 'mean', 0);
  assert.equal(id[0], 1);
  for (let j = 1; j < t; j++) assert.equal(id[j], 0);
  const uniform = new Float32Array(2 * t * t).fill(1 / t);
  const u = rolloutRow([uniform, uniform, uniform], heads, t, 'mean', 0);
  for (let j = 2; j < t; j++) assert.ok(Math.abs(u[j]! - u[1]!) < 1e-15, `patch ${j}: ${u[j]} vs ${u[1]}`);
  assert.ok(u[1]! > 0.05);
  const r = rng(5);
  for (const fusion of ['mean', 'max', 'min'] as const) {
    for (const discard of [0, 0.3, 0.9]) {
      const row = rolloutRow([randomAttention(2, t, r), randomAttention(2, t, r), randomAttention(2, t, r)], heads, t, fusion, discard);
      const sum = row.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `${fusion} discard ${discard}: row sums to ${sum}`);
      assert.ok(row.every((v) => v >= 0));
    }
  }
});

test('relevance: with zero gradients it is the class token alone; it adds, per block, the positive part of grad ⊙ A averaged over heads', () => {
  const t = 4;
  const a = randomAttention(2, t, rng(6));
  const zero = new Float32Array(a.length);
  const none = relevanceRow([a], [zero], [2], t);
  assert.deepEqual(Array.from(none), [1, 0, 0, 0]);
  // one block: row 0 of I + mean_h relu(g ⊙ A)
  const g = Float32Array.from({ length: a.length }, (_, i) => Math.sin(i));
  const one = relevanceRow([a], [g], [2], t);
  for (let j = 0; j < t; j++) {
    const want = (j === 0 ? 1 : 0) + (Math.max(0, g[j]! * a[j]!) + Math.max(0, g[t * t + j]! * a[t * t + j]!)) / 2;
    assert.ok(Math.abs(one[j]! - want) < 1e-12, `token ${j}: ${one[j]} vs ${want}`);
  }
});

test('attention-rollout and attention-relevance on a torchvision VisionTransformer equal numpy on PyTorch attention maps', async () => {
  const model = await loadModel(join(FIXTURES, 'vit', 'model.onnx'));
  const x = readNpy(join(FIXTURES, 'vit', 'input.npy'));
  const cases = [
    ['attention-rollout', {}, 'rollout'],
    ['attention-rollout', { headFusion: 'max', discardRatio: 0.5 }, 'rollout_max_d05'],
    ['attention-relevance', {}, 'relevance'],
  ] as const;
  for (const [method, options, ref] of cases) {
    const e = await getMethod(method).explain(model, x, options);
    const raw = e.extras.raw as Tensor;
    assert.deepEqual(raw.dims, [2, 1, 4, 4]);
    const err = relErr(raw.data, readNpy(join(FIXTURES, 'vit', `${ref}.npy`)).data);
    assert.ok(err < 1e-4, `${method} ${JSON.stringify(options)}: max|ours − ref|/max|ref| = ${err}`); // measured 1.2e-7 … 6.5e-7
    assert.deepEqual(e.attribution.dims, [2, 1, 32, 32]);
    assert.ok(Math.abs(Math.max(...e.attribution.data) - 1) < 1e-4 && Math.min(...e.attribution.data) === 0); // (x − min)/(max − min + 1e-7)
  }
  await model.dispose();
});

/**
 * A one-head-pair, two-block ViT built by hand (16×16 image, 4×4 patches, class token): every attention row puts
 * (almost) all its weight on patch `target` (a bias of 20 on that column; the q·k scores are multiplied by 0).
 */
function pointingTransformer(target: number): OnnxGraph {
  const r = rng(40);
  const c = 8;
  const g = emptyModel({ input: ['N', 3, 16, 16] });
  const init = (dims: number[], scale = 0.3): string => g.addInitializer(randomTensor(dims, r, scale).data, dims);
  const patches = g.op('Conv', ['input', init([c, 3, 4, 4])], { strides: { ints: [4, 4] } });
  const seq = g.op('Transpose', [g.op('Reshape', [patches, g.int64s([0, c, 16])])], { perm: { ints: [0, 2, 1] } });
  const n = g.op('Unsqueeze', [g.op('Gather', [g.op('Shape', ['input']), g.addInitializer(BigInt64Array.of(0n), [])], { axis: { i: 0 } }), g.int64s([0])]);
  const cls = g.op('Expand', [init([1, 1, c]), g.op('Concat', [n, g.int64s([1, c])], { axis: { i: 0 } })]);
  let h = g.op('Add', [g.op('Concat', [cls, seq], { axis: { i: 1 } }), init([1, 17, c])]);
  const bias = new Float32Array(2 * 17 * 17);
  for (let row = 0; row < 2 * 17; row++) bias[row * 17 + 1 + target] = 20;
  const biasName = g.addInitializer(bias, [1, 2, 17, 17]);
  for (let block = 0; block < 2; block++) {
    const ln = g.op('LayerNormalization', [h, g.addInitializer(new Float32Array(c).fill(1), [c]), g.addInitializer(new Float32Array(c), [c])], { axis: { i: -1 } });
    const heads = (w: string): string => g.op('Transpose', [g.op('Reshape', [g.op('MatMul', [ln, w]), g.int64s([0, 17, 2, c / 2])])], { perm: { ints: [0, 2, 1, 3] } });
    const [q, k, v] = [heads(init([c, c])), heads(init([c, c])), heads(init([c, c]))];
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 1, 3, 2] } })]), g.scalar(0)]), biasName]);
    const att = g.op('Softmax', [scores], { axis: { i: -1 } });
    const o = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [att, v])], { perm: { ints: [0, 2, 1, 3] } }), g.int64s([0, 17, c])]);
    h = g.op('Add', [h, g.op('MatMul', [o, init([c, c])])]);
  }
  const clsOut = g.op('Gather', [h, g.addInitializer(BigInt64Array.of(0n), [])], { axis: { i: 1 } });
  g.setOutputs([g.op('Gemm', [clsOut, init([c, 3]), init([3])])]);
  return g;
}

test('a hand-built transformer whose attention points at one patch: rollout puts the map’s maximum on that patch', async () => {
  for (const target of [5, 14]) {
    const model = LumenModel.fromBytes(pointingTransformer(target).toBytes(), { runtime, source: `pointing-${target}` });
    const x = randomTensor([1, 3, 16, 16], rng(41));
    const e = await getMethod('attention-rollout').explain(model, x);
    const raw = Array.from((e.extras.raw as Tensor).data);
    assert.equal(raw.indexOf(Math.max(...raw)), target);
    // two blocks of (A + I)/2 with A on the patch: ¾ of the class token's row on it, ¼ on itself
    assert.ok(Math.abs(raw[target]! - 0.75) < 1e-6, `${raw[target]}`);
    const tokens = (e.extras.tokens as Tensor).data;
    assert.ok(Math.abs(tokens[0]! - 0.25) < 1e-6);
    // the upsampled map's peak lies inside the 4×4 pixel patch
    const map = Array.from(e.attribution.data);
    const peak = map.indexOf(Math.max(...map));
    const [py, px] = [Math.floor(peak / 16), peak % 16];
    assert.equal(Math.floor(py / 4) * 4 + Math.floor(px / 4), target);
    await model.dispose();
  }
});

test('attention methods: registered with metadata; a CNN and windowed attention (Swin) get a specific error', async () => {
  const info = listMethods().filter((m) => m.family === 'attention').map((m) => m.id).sort();
  assert.deepEqual(info, ['attention-relevance', 'attention-rollout']);
  const rollout = getMethod('rollout').info;
  assert.deepEqual(rollout.options.find((o) => o.name === 'headFusion')?.choices, ['mean', 'max', 'min']);
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
  const cnn = await loadModel(join(root, 'models', 'fashion-cnn.onnx'));
  await assert.rejects(getMethod('attention-rollout').explain(cnn, Tensor.zeros([1, 1, 28, 28])), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_MODEL' && /no global self-attention/.test(e.message) && /gradient, CAM and perturbation methods work/.test(e.message));
  const swin = await loadModel(join(FIXTURES, 'swin', 'model.onnx'));
  await assert.rejects(getMethod('attention-relevance').explain(swin, Tensor.zeros([1, 3, 48, 48])), (e: unknown) => e instanceof LumenError && /windowed attention Softmax/.test(e.message));
  await assert.rejects(getMethod('attention-rollout').explain(swin, Tensor.zeros([1, 3, 48, 48]), { discardRatio: 1.5 }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await Promise.all([cnn.dispose(), swin.dispose()]);
});

test('LRP on a ViT: one specific error at the attention product, naming the methods that work', async () => {
  const vit = await loadModel(join(FIXTURES, 'vit', 'model.onnx'));
  await assert.rejects(
    getMethod('lrp').explain(vit, Tensor.zeros([1, 3, 32, 32])),
    (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /MatMul '.*self_attention.*' multiplies two activations/.test(e.message) && /attention-rollout, attention-relevance/.test(e.message) && /AttnLRP, is not implemented/.test(e.message),
  );
  await vit.dispose();
});
