import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/node/load.js';
import { inferShapes } from '../../src/onnx/shapes.js';
import { OnnxGraph, type Dim } from '../../src/onnx/graph.js';
import { emptyModel, runModel } from './helpers.js';
import { Tensor } from '../../src/tensor.js';

for (const name of ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg']) {
  test(`${name}: static shapes equal ORT's run-time shapes, batch kept symbolic`, async () => {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    // ORT's own shapes (not model.tensorShapes, which now reads static inference first)
    const names = [...(await model.tensorShapes()).keys()];
    const session = await model.session('test:all-float-tensors', () => {
      const g = OnnxGraph.copyOf(model.proto);
      g.setOutputs(names);
      return g;
    });
    const runtime = new Map(Object.entries(await session.run({ [model.inputName]: model.zeroInput() }, names)).map(([t, v]) => [t, [...v.dims]]));
    const inferred = inferShapes(model.graph, undefined, { strict: true });
    let compared = 0;
    for (const [t, dims] of runtime) {
      const ours = inferred.get(t);
      assert.ok(ours, `no shape for ${t}`);
      assert.equal(ours[0], 'batch', `${t}: batch dim ${String(ours[0])}`);
      assert.deepEqual(ours.slice(1), dims.slice(1), t);
      compared++;
    }
    assert.ok(compared > 10);
    await model.dispose();
  });
}

test('shape inference: pooling/conv edge cases, reshape via Shape arithmetic, slices, pads, resize', async () => {
  const g = emptyModel({ x: ['N', 3, 11, 9] });
  const c1 = g.op('Conv', ['x', g.addInitializer(new Float32Array(4 * 3 * 3 * 2), [4, 3, 3, 2])], { strides: { ints: [2, 3] }, auto_pad: { s: 'SAME_LOWER' } });
  const c2 = g.op('Conv', [c1, g.addInitializer(new Float32Array(4 * 2 * 2 * 2), [4, 2, 2, 2])], { group: { i: 2 }, dilations: { ints: [2, 1] }, pads: { ints: [0, 1, 2, 0] } });
  const p1 = g.op('MaxPool', [c2], { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } });
  const p2 = g.op('AveragePool', ['x'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, ceil_mode: { i: 1 } });
  const shape = g.op('Shape', [p2]);
  const n = g.op('Gather', [shape, g.int64s([0])], { axis: { i: 0 } });
  const flat = g.op('Reshape', [p2, g.op('Concat', [n, g.int64s([-1])], { axis: { i: 0 } })]);
  const sl = g.op('Slice', ['x', g.int64s([1, -7]), g.int64s([100, -1]), g.int64s([1, 2]), g.int64s([1, 2])]);
  const strided = g.op('Slice', ['x', g.int64s([0]), g.int64s([9]), g.int64s([3]), g.int64s([2])]);
  const pd = g.op('Pad', ['x', g.int64s([0, 0, 1, -2, 0, 1, 0, 3])]);
  const rs = g.op('Resize', ['x', '', g.addInitializer(Float32Array.of(1, 1, 2, 3), [4])], { mode: { s: 'linear' } });
  const tr = g.op('Transpose', [rs], { perm: { ints: [0, 2, 3, 1] } });
  const outs = [c1, c2, p1, p2, flat, sl, strided, pd, rs, tr];
  g.setOutputs(outs);
  const shapes = inferShapes(g, undefined, { strict: true });
  const x = new Tensor(new Float32Array(2 * 3 * 11 * 9), [2, 3, 11, 9]);
  const res = await runModel(g, { x }, outs);
  for (const o of outs) {
    const ours = shapes.get(o)!;
    assert.deepEqual(ours.slice(1), res[o]!.dims.slice(1), `${o}: ${ours.join(',')} vs ${res[o]!.dims.join(',')}`);
  }
  assert.equal(shapes.get(flat)![0], 'N');
  assert.deepEqual(shapes.get(p1), ['N', 4, 3, 2]);
});

test('folded Cast values are converted as ONNX Runtime converts them (to int64: truncation; to bool: ≠ 0)', async () => {
  const g = emptyModel({ x: [1] }, 13);
  const c = g.addInitializer(Float32Array.from([3.5, -2.5, 0, 7.9]), [4]);
  const ints = g.op('Cast', [c], { to: { i: 7 } });
  const bools = g.op('Cast', [c], { to: { i: 9 } });
  const floats = g.op('Cast', [ints], { to: { i: 1 } });
  const out = g.op('Add', [g.op('Add', [g.op('Cast', [bools], { to: { i: 1 } }), floats]), 'x']);
  g.setOutputs([out]);
  const values = new Map<string, Dim[]>();
  inferShapes(g, undefined, { values });
  // before: the values were copied unconverted ([3.5, -2.5, 0, 7.9] for both casts)
  assert.deepEqual(values.get(ints), [3, -2, 0, 7]);
  assert.deepEqual(values.get(bools), [1, 1, 0, 1]);
  // ORT as oracle: 1(bool→float) + trunc on the same constants, plus x = 0
  const y = (await runModel(g, { x: Tensor.zeros([1]) }, [out]))[out]!;
  assert.deepEqual(Array.from(y.data), [4, -1, 0, 8]);
});
