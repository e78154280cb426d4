import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/node/load.js';
import { getMethod, listMethods } from '../../../src/methods/registry.js';
import '../../../src/methods/perturbation/index.js';
import { Rng } from '../../../src/random.js';
import { LumenError } from '../../../src/errors.js';
import { Tensor } from '../../../src/tensor.js';
import { softmaxRows } from '../../../src/targets/index.js';
import type { ExplainOptions, ProgressEvent } from '../../../src/methods/types.js';
import { emptyGraph, modelOf, readNpy, testValues } from './helpers.js';

const IDS = ['occlusion', 'feature-ablation', 'lime', 'kernel-shap', 'rise'] as const;
/** Small settings so each method runs a few dozen passes on fashion_cnn. */
const SMALL: Record<(typeof IDS)[number], ExplainOptions> = {
  occlusion: { slidingWindowShapes: [1, 8, 8], strides: [1, 4, 4] },
  'feature-ablation': { nSegments: 25 },
  lime: { numSamples: 40, nSegments: 12 },
  'kernel-shap': { numSamples: 40, nSegments: 12 },
  rise: { numMasks: 40 },
};
const isCancelled = (e: unknown): boolean => e instanceof LumenError && e.code === 'CANCELLED';

test('every perturbation method is registered with metadata, cost and options', () => {
  const infos = listMethods().filter((m) => m.family === 'perturbation');
  for (const id of IDS) {
    const info = infos.find((m) => m.id === id);
    assert.ok(info, id);
    assert.equal(info.needsGradients, false);
    assert.ok(info.cost.includes('forward'), `${id} cost: ${info.cost}`);
    assert.ok(info.options.length >= 3 && info.options.every((o) => o.name && o.description));
  }
  assert.equal(getMethod('shap').info.id, 'kernel-shap');
});

test('same seed ⇒ bit-identical, other seed ⇒ different (random methods); progress reaches the total', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  for (const id of IDS) {
    const events: ProgressEvent[] = [];
    const a = await getMethod(id).explain(model, x, { ...SMALL[id], seed: 4, batchSize: 8, onProgress: (e) => events.push(e) });
    const b = await getMethod(id).explain(model, x, { ...SMALL[id], seed: 4, batchSize: 8 });
    const c = await getMethod(id).explain(model, x, { ...SMALL[id], seed: 5, batchSize: 8 });
    assert.deepEqual(Buffer.from(b.attribution.data.buffer), Buffer.from(a.attribution.data.buffer), `${id} same seed`);
    const random = id === 'lime' || id === 'kernel-shap' || id === 'rise';
    if (random) assert.notDeepEqual(Array.from(c.attribution.data), Array.from(a.attribution.data), `${id} other seed`);
    else assert.deepEqual(Array.from(c.attribution.data), Array.from(a.attribution.data), `${id} has no randomness`);
    assert.ok(a.attribution.data.every(Number.isFinite));
    assert.ok(a.attribution.data.some((v) => v !== 0), `${id} all zero`);
    assert.equal(a.targets[0], 9);
    assert.ok(events.length >= 2, `${id}: ${events.length} progress events`);
    const last = events[events.length - 1]!;
    assert.equal(last.done, last.total, `${id} progress`);
    assert.ok(events.every((e, i) => i === 0 || e.done > events[i - 1]!.done));
  }
  await model.dispose();
});

test('abort: a signal aborted before or during the run rejects with CANCELLED, and the model still works', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  for (const id of IDS) {
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(getMethod(id).explain(model, x, { ...SMALL[id], signal: pre.signal }), isCancelled, `${id} pre-aborted`);
    const during = new AbortController();
    let calls = 0;
    await assert.rejects(
      getMethod(id).explain(model, x, {
        ...SMALL[id],
        batchSize: 4,
        signal: during.signal,
        onProgress: () => {
          calls++;
          during.abort();
        },
      }),
      isCancelled,
      `${id} aborted during the run`,
    );
    assert.equal(calls, 1, `${id}: stopped after the first batch`);
  }
  const { logits } = await model.forward(x);
  assert.ok(Math.abs(logits.data[9]!) > 0);
  await model.dispose();
});

test('probability targets: feature ablation explains the softmax probability', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  const halves = Int32Array.from({ length: 28 * 28 }, (_, p) => (p < 14 * 28 ? 0 : 1));
  const result = await getMethod('feature-ablation').explain(model, x, { target: { class: 9, output: 'probability' }, featureMask: halves, hideValue: 0 });
  const probs = async (t: Tensor) => softmaxRows((await model.forward(t)).logits).data[9]!;
  const p0 = await probs(x);
  const top = x.clone();
  top.data.fill(0, 0, 14 * 28);
  const expected = p0 - (await probs(top));
  const got = (result.extras.segmentAttributions as number[])[0]!;
  assert.ok(Math.abs(got - expected) < 1e-6, `${got} vs ${expected}`);
  assert.ok(Math.abs(got) > 1e-3);
  await model.dispose();
});

test('a batch of two images gives each image its own explanation', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x0 = readNpy('conformance/inputs/fmnist_test0000.npy');
  const x1 = readNpy('conformance/inputs/fmnist_test0001.npy');
  const opts = { slidingWindowShapes: 8, strides: 4, batchSize: 16 };
  const both = await getMethod('occlusion').explain(model, Tensor.concat([x0, x1]), opts);
  const one = await getMethod('occlusion').explain(model, x1, opts);
  assert.deepEqual(both.targets, [9, 2]);
  assert.deepEqual(both.attribution.dims, [2, 1, 28, 28]);
  let err = 0;
  for (let i = 0; i < 784; i++) err = Math.max(err, Math.abs(both.attribution.data[784 + i]! - one.attribution.data[i]!));
  assert.ok(err < 1e-5, `${err}`);
  await model.dispose();
});

test('NHWC model files: same NCHW input, attributions equal to the NCHW model', async () => {
  const [C, H, W] = [3, 8, 8];
  const weights = testValues(2 * C * H * W, 41);
  const build = (nhwc: boolean) => {
    const g = emptyGraph();
    g.addInput('input', nhwc ? ['batch', H, W, C] : ['batch', C, H, W]);
    const nchw = nhwc ? g.op('Transpose', ['input'], { perm: { ints: [0, 3, 1, 2] } }) : 'input';
    const flat = g.op('Flatten', [nchw], { axis: { i: 1 } });
    const lin = g.op('Gemm', [flat, g.addInitializer(weights, [2, C * H * W])], { transB: { i: 1 } });
    g.addNode('Mul', [lin, lin], ['logits']);
    g.addOutput('logits', ['batch', 2]);
    return modelOf(g);
  };
  const planar = testValues(C * H * W, 43);
  const nchwModel = build(false);
  const nhwcModel = build(true);
  assert.equal(nhwcModel.fileLayout, 'NHWC');
  for (const id of IDS) {
    const opts = { target: 1, seed: 2, slidingWindowShapes: [1, 4, 4], strides: [1, 2, 2], segmentation: 'grid', gridSize: 2, numSamples: 30, numMasks: 30 };
    const a = await getMethod(id).explain(nchwModel, new Tensor(planar, [1, C, H, W]), opts);
    const b = await getMethod(id).explain(nhwcModel, new Tensor(planar, [1, C, H, W]), opts);
    assert.deepEqual(b.attribution.dims, a.attribution.dims);
    let err = 0;
    let scale = 0;
    for (let i = 0; i < a.attribution.size; i++) {
      err = Math.max(err, Math.abs(a.attribution.data[i]! - b.attribution.data[i]!));
      scale = Math.max(scale, Math.abs(a.attribution.data[i]!));
    }
    assert.ok(scale > 0 && err / scale < 1e-5, `${id}: ${err / scale}`);
  }
  await nchwModel.dispose();
  await nhwcModel.dispose();
});

test('bad options are usage errors (BAD_OPTION)', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  const bad = (e: unknown): boolean => e instanceof LumenError && e.code === 'BAD_OPTION' && e.exitCode === 2;
  await assert.rejects(getMethod('occlusion').explain(model, x, { slidingWindowShapes: [1, 40, 8] }), bad);
  await assert.rejects(getMethod('occlusion').explain(model, x, { slidingWindowShapes: 4, strides: 8 }), bad);
  await assert.rejects(getMethod('lime').explain(model, x, { numSamples: 'many' }), bad);
  await assert.rejects(getMethod('lime').explain(model, x, { hide: 'gray' }), bad);
  await assert.rejects(getMethod('feature-ablation').explain(model, x, { featureMask: [1, 2, 3] }), bad);
  await assert.rejects(getMethod('rise').explain(model, x, { keepProbability: 2 }), bad);
  await model.dispose();
});

test('Rng: fixed sequence for a seed, uniform ints and permutations', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const seqA = Array.from({ length: 5 }, () => a.uint32());
  assert.deepEqual(Array.from({ length: 5 }, () => b.uint32()), seqA);
  assert.notDeepEqual(Array.from({ length: 5 }, () => new Rng(43).uint32()), seqA);
  const r = new Rng(1);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[r.int(6)]!++;
  assert.ok(counts.every((c) => Math.abs(c - 10000) < 500), counts.join(','));
  let mean = 0;
  for (let i = 0; i < 10000; i++) mean += r.next() / 10000;
  assert.ok(Math.abs(mean - 0.5) < 0.02);
  assert.deepEqual(Array.from(r.permutation(10)).sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Golden values: the stream must never change (saved seeds reproduce old explanations, in Node and browsers).
  const g = new Rng(0);
  assert.deepEqual([g.uint32(), g.uint32(), g.uint32()], [1255788323, 229556502, 1129684417]);
  const h = new Rng(12345);
  assert.equal(h.next(), 0.13071087029775796);
  assert.equal(h.int(1000), 306);
  assert.deepEqual(Array.from(h.permutation(6)), [5, 2, 1, 0, 4, 3]);
});

test('batchSize: the declared range [1, 100000] is the whole rule (no second ceiling of 65536); the run still caps each call by MAX_BATCH_VALUES', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  const opts = { slidingWindowShapes: 8, strides: 4 };
  const small = await getMethod('occlusion').explain(model, x, { ...opts, batchSize: 8 });
  // (was refused: 'batchSize must be within [1, 65536], got 100000')
  const large = await getMethod('occlusion').explain(model, x, { ...opts, batchSize: 100_000 });
  assert.deepEqual(Array.from(large.attribution.data), Array.from(small.attribution.data));
  await assert.rejects(getMethod('occlusion').explain(model, x, { ...opts, batchSize: 100_001 }), { message: 'occlusion.explain: batchSize must be within [1, 100000], got 100001' });
  await model.dispose();
});
