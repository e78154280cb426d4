import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { cloneModel, decodeModel } from '../../src/onnx/io.js';
import { upgradeOpset } from '../../src/onnx/upgrade.js';
import { LumenError } from '../../src/errors.js';
import { computeGradients } from '../../src/autodiff/index.js';
import { emptyModel, finiteDifferenceCheck, randomTensor, randn, relErr, rng, runModel, separatedValues } from '../autodiff/helpers.js';
import { Tensor } from '../../src/tensor.js';

const runtime = nodeRuntime({ threads: 1 });

type Builder = (g: OnnxGraph, w: (dims: number[], s: number) => string) => string;

function build(opset: number, body: Builder, input: number[] = [2, 3, 8, 8]): OnnxGraph {
  const r = rng(opset);
  const g = emptyModel({ x: ['N', ...input.slice(1)] }, opset);
  const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
  g.setOutputs([body(g, w)]);
  return g;
}

/** Each old-opset graph, upgraded, gives ORT's results for the original file (ORT runs old opsets natively). */
const CASES: { name: string; opset: number; changes: RegExp[]; body: Builder }[] = [
  {
    name: 'opset 7: BatchNormalization(spatial), Clip/Pad attributes, Upsample(scales attribute), Dropout',
    opset: 7,
    changes: [/BatchNormalization/, /Clip: min and max/, /Pad ×2: pads and value/, /Upsample: → Resize/, /Dropout/],
    body: (g, w) => {
      const c = 3;
      const bn = g.op('BatchNormalization', ['x', w([c], 0.3), w([c], 0.3), w([c], 0.3), g.addInitializer(Float32Array.from([0.5, 1, 2]), [c])], { spatial: { i: 1 }, epsilon: { f: 1e-3 } });
      const clip = g.op('Clip', [bn], { min: { f: -0.5 }, max: { f: 0.7 } });
      const pad = g.op('Pad', [clip], { pads: { ints: [0, 0, 1, 2, 0, 0, 2, 1] }, value: { f: 0.25 } });
      const refl = g.op('Pad', [pad], { pads: { ints: [0, 0, 1, 1, 0, 0, 1, 1] }, mode: { s: 'reflect' } });
      const up = g.op('Upsample', [refl], { scales: { floats: [1, 1, 2, 2] }, mode: { s: 'nearest' } });
      return g.op('Dropout', [up], { ratio: { f: 0.3 } });
    },
  },
  {
    name: 'opset 9: Slice attributes, Upsample(scales input, linear), Clip with only max, TopK(k attribute)',
    opset: 9,
    changes: [/Slice: starts, ends and axes/, /Upsample: → Resize/, /Clip: min and max/, /TopK: k attribute/],
    body: (g) => {
      const sl = g.op('Slice', ['x'], { starts: { ints: [1, 0] }, ends: { ints: [7, 100] }, axes: { ints: [2, 3] } });
      const up = g.op('Upsample', [sl, g.addInitializer(Float32Array.of(1, 1, 2, 1.5), [4])], { mode: { s: 'linear' } });
      const clip = g.op('Clip', [up], { max: { f: 0.3 } });
      const [values] = g.addNode('TopK', [clip], 2, { k: { i: 3 }, axis: { i: 3 } });
      return values!;
    },
  },
  {
    name: 'opset 10: Resize (nearest and linear), Dropout',
    opset: 10,
    changes: [/Resize ×2: opset-10 form/, /Dropout/],
    body: (g) => {
      const near = g.op('Resize', ['x', g.addInitializer(Float32Array.of(1, 1, 1.5, 2), [4])], { mode: { s: 'nearest' } });
      const lin = g.op('Resize', [near, g.addInitializer(Float32Array.of(1, 1, 0.75, 1.25), [4])], { mode: { s: 'linear' } });
      return g.op('Dropout', [lin], { ratio: { f: 0.5 } });
    },
  },
];

for (const c of CASES) {
  test(`upgrade ${c.name}: ORT's results for the original file`, async () => {
    const g = build(c.opset, c.body);
    const x = randomTensor([2, 3, 8, 8], rng(c.opset + 100));
    const out = g.graph.output[0]!.name;
    const want = (await runModel(g, { x }, [out]))[out]!;
    const upgraded = cloneModel(g.model);
    const report = upgradeOpset(upgraded)!;
    assert.equal(report.fromOpset, c.opset);
    assert.equal(report.toOpset, 11);
    for (const re of c.changes) assert.ok(report.changes.some((ch) => re.test(ch)), `${re} not in ${JSON.stringify(report.changes)}`);
    const got = (await runModel(upgraded, { x }, [out]))[out]!;
    assert.deepEqual(got.dims, want.dims);
    assert.ok(relErr(got.data, want.data) < 1e-6, `${relErr(got.data, want.data)}`);
    // the original is untouched
    assert.equal(g.opset, c.opset);
  });
}

test('an opset-7 image classifier loads upgraded: same logits as the original file, model info says what changed, gradients match finite differences', async () => {
  const g = build(7, (gr, w) => {
    const conv = gr.op('Conv', ['x', w([4, 3, 3, 3], 0.4), w([4], 0.1)], { pads: { ints: [1, 1, 1, 1] } });
    const bn = gr.op('BatchNormalization', [conv, w([4], 0.3), w([4], 0.3), w([4], 0.3), gr.addInitializer(Float32Array.from([0.5, 1, 2, 1.5]), [4])], { spatial: { i: 1 } });
    const clip = gr.op('Clip', [bn], { min: { f: 0 }, max: { f: 6 } });
    const pad = gr.op('Pad', [clip], { pads: { ints: [0, 0, 1, 1, 0, 0, 1, 1] } });
    const up = gr.op('Upsample', [pad], { scales: { floats: [1, 1, 2, 2] }, mode: { s: 'nearest' } });
    const pooled = gr.op('GlobalAveragePool', [gr.op('Dropout', [up], { ratio: { f: 0.2 } })]);
    return gr.op('Gemm', [gr.op('Flatten', [pooled]), w([5, 4], 0.5), w([5], 0.1)], { transB: { i: 1 } });
  }, [1, 3, 6, 6]);
  const bytes = g.toBytes();
  const model = LumenModel.fromBytes(bytes, { runtime, source: 'old.onnx' });
  assert.equal(model.opsetUpgrade?.fromOpset, 7);
  assert.equal(model.graph.opset, 11);
  assert.equal(decodeModel(bytes).opsetImport[0]!.version, 7n);
  const x = new Tensor(separatedValues(2 * 3 * 6 * 6, rng(4), 0.05), [2, 3, 6, 6]);
  const ref = (await runModel(g, { x }, [model.outputName]))[model.outputName]!;
  assert.ok(relErr((await model.forward(x)).logits.data, ref.data) < 1e-6);
  const layers = await model.layers();
  assert.ok(layers.some((l) => l.op === 'Resize' && l.shape.join() === '1,4,16,16'));
  const fd = await finiteDifferenceCheck(model.graph, model.logitsName, { x }, ['x'], { h: 1e-3 });
  assert.ok(fd.error < 1e-2, `FD error ${fd.error}`);
  const grads = await computeGradients(model, x, { rank: 1 }, { wrt: ['x'] });
  assert.ok(grads.gradients.x!.data.some((v) => v !== 0));
  await model.dispose();
});

test('opsets older than 7 get a specific error', () => {
  const g = build(9, (gr) => gr.op('Relu', ['x']));
  g.model.opsetImport[0]!.version = 6n;
  assert.throws(() => LumenModel.fromBytes(g.toBytes(), { runtime, source: 'ancient.onnx' }), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OPSET' && /opset 6/.test(e.message) && /7–23/.test(e.message));
});

test('experimental ImageScaler (old zoo models, removed at opset 10) becomes Mul + Add: y = scale · x + bias[c]', async () => {
  const g = build(8, (gr) => gr.op('ImageScaler', ['x'], { scale: { f: 0.5 }, bias: { floats: [1, -2, 3] } }), [1, 3, 2, 2]);
  const upgraded = cloneModel(g.model);
  assert.deepEqual(upgradeOpset(upgraded)!.changes, ['ImageScaler: → Mul and Add']);
  const x = randomTensor([1, 3, 2, 2], rng(2));
  const out = g.graph.output[0]!.name;
  const got = (await runModel(upgraded, { x }, [out]))[out]!;
  const want = Float32Array.from(x.data, (v, i) => 0.5 * v + [1, -2, 3][Math.floor(i / 4)]!);
  assert.ok(relErr(got.data, want) < 1e-7);
});
