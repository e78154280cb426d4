import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldBatchNormalization } from '../../src/autodiff/canonizers.js';
import { OnnxGraph, makeValueInfo } from '../../src/onnx/graph.js';
import { castGraphToFloat64, decomposeForFloat64 } from '../../src/onnx/float64.js';
import { decodeModel } from '../../src/onnx/io.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { makeTensorProto, tensorValues } from '../../src/onnx/tensor-proto.js';
import { segmentGraph } from '../../src/runtime/segment.js';
import { emptyModel } from '../autodiff/helpers.js';

// OnnxGraph's initializer lookup follows every pass that changes the graph's initializers (they all go through
// setInitializer / addInitializer / removeInitializers).

const DOUBLE = TensorProto_DataType.DOUBLE;

/** x [N, 4] → MatMul(w [4, 4]) → Add(b) → 20 × Relu: long enough to cut, one weight and one bias. */
function affineChain(): { g: OnnxGraph; w: string; b: string; out: string } {
  const g = emptyModel({ x: ['N', 4] });
  const w = g.addInitializer(Float32Array.from({ length: 16 }, (_, i) => 0.1 * (i - 7)), [4, 4], 'w');
  const b = g.addInitializer(Float32Array.of(0.5, -0.25, 0.125, 1.1), [4], 'b');
  let y = g.op('Add', [g.op('MatMul', ['x', w]), b]);
  for (let i = 0; i < 20; i++) y = g.op('Relu', [y]);
  g.setOutputs([y]);
  return { g, w, b, out: y };
}

test('after float64 conversion the view looks up the double initializers, and segments carry them', () => {
  const { g, w, b } = affineChain();
  castGraphToFloat64(g);
  for (const name of [w, b]) {
    assert.equal(g.initializer(name)?.dataType, DOUBLE, name);
    assert.equal(g.constantTensor(name)?.dataType, DOUBLE, name);
    assert.equal(g.initializer(name), g.graph.initializer.find((t) => t.name === name));
  }
  assert.ok(tensorValues(g.initializer(b)!) instanceof Float64Array);
  // segments take their initializers from the view: the double ones
  const seg = segmentGraph(g, 8)!;
  assert.ok(seg.segments.length >= 2);
  const first = new OnnxGraph(decodeModel(seg.segments[0]!.bytes));
  assert.equal(first.initializer(w)?.dataType, DOUBLE);
});

test('removeInitializers drops the initializers and their declarations as inputs; lookups and feeds follow', () => {
  const { g, w, b } = affineChain();
  // an old exporter's weight declared as an input as well
  g.graph.input.push(makeValueInfo(w, [4, 4], TensorProto_DataType.FLOAT));
  assert.deepEqual(g.feedInputs.map((v) => v.name), ['x']);
  g.removeInitializers((t) => t.name === w);
  assert.equal(g.initializer(w), undefined);
  assert.equal(g.constantTensor(w), undefined);
  assert.ok(g.initializer(b), 'the other initializer is still found (positions moved)');
  assert.deepEqual(g.graph.initializer.map((t) => t.name), [b]);
  assert.deepEqual(g.feedInputs.map((v) => v.name), ['x']);
});

test('setInitializer replaces in place or appends; a list edited behind the view is re-read, not misread', () => {
  const { g, w, b } = affineChain();
  g.setInitializer(makeTensorProto(w, Float64Array.from({ length: 16 }, () => 2), [4, 4], DOUBLE));
  assert.deepEqual(g.graph.initializer.map((t) => t.name), [w, b]);
  assert.equal(g.initializer(w)?.dataType, DOUBLE);
  g.setInitializer(makeTensorProto('extra', Float32Array.of(1), [1]));
  assert.equal(g.initializer('extra')?.dims[0], 1n);
  // tests clear the raw lists to build small graphs: old names must not resolve to the tensors now at their positions
  g.graph.initializer.splice(0);
  const fresh = g.addInitializer(Float32Array.of(3), [1], 'fresh');
  assert.equal(g.initializer(w), undefined);
  assert.equal(g.initializer(b), undefined);
  assert.equal(g.initializer(fresh)?.name, fresh);
});

test('float64 decomposition and BatchNorm folding leave views whose lookups match the list', () => {
  const g = emptyModel({ x: ['N', 2, 4, 4] });
  const cw = g.addInitializer(Float32Array.from({ length: 2 * 2 * 9 }, (_, i) => Math.sin(i)), [2, 2, 3, 3], 'conv_w');
  const conv = g.op('Conv', ['x', cw], { pads: { ints: [1, 1, 1, 1] } });
  const bn = g.op('BatchNormalization', [conv, ...[[1.5, 0.5], [0.1, -0.2], [0.3, 0.4], [2, 0.5]].map((v, i) => g.addInitializer(Float32Array.from(v), [2], `bn${i}`))]);
  g.setOutputs([bn]);
  for (const model of [decomposeForFloat64(g.model, { x: [1, 2, 4, 4] }), foldBatchNormalization(g.model).model]) {
    const view = new OnnxGraph(model);
    for (const t of model.graph!.initializer) assert.equal(view.initializer(t.name), t);
    const read = new Set(model.graph!.node.flatMap((n) => n.input));
    for (const t of model.graph!.initializer) assert.ok(read.has(t.name), `unused initializer '${t.name}' left`);
  }
  // the folded conv weight is gone from the folded copy
  assert.equal(new OnnxGraph(foldBatchNormalization(g.model).model).initializer(cw), undefined);
});
