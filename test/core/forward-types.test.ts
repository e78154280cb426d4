import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/node/load.js';
import { valueInfoElemType } from '../../src/onnx/graph.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { inferElemTypes } from '../../src/onnx/shapes.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel } from '../autodiff/helpers.js';

const T = TensorProto_DataType;

// The outputs setOutputs adds are declared without a type (were: float, and ORT refused the graph for an int64
// tensor: "Type (tensor(float)) of output arg … does not match").
test('model.forward fetches an int64 tensor (a Shape output) of a real model with the float tensor it measures', async () => {
  const model = await loadModel('test/fixtures/torchvision/shufflenet_v2/opset13_dynamic.onnx');
  const shapeNode = model.graph.nodes.find((n) => n.opType === 'Shape')!;
  const [measured, shape] = [shapeNode.input[0]!, shapeNode.output[0]!];
  const x = new Tensor(Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i)), [2, 3, 64, 64]);
  const { tensors } = await model.forward(x, [shape, measured]);
  assert.deepEqual([...tensors[shape]!.data], [...tensors[measured]!.dims]);
  assert.deepEqual([...tensors[measured]!.dims], [2, 16, 8, 8]);
  await model.dispose();
});

test('setOutputs declares a new output without a type (ORT and inferElemTypes read its producer); an existing declaration stays', async () => {
  const g = emptyModel({ x: ['N', 4] });
  const y = g.op('Relu', ['x']);
  const arg = g.op('ArgMax', [y], { axis: { i: 1 } });
  const mask = g.op('Greater', [y, g.scalar(0.5)]);
  g.addOutput(y, ['N', 4], T.FLOAT);
  g.setOutputs([y, arg, mask, g.op('Shape', [y])]);
  assert.deepEqual(g.graph.output.map(valueInfoElemType), [T.FLOAT, 0, 0, 0]);
  const types = inferElemTypes(g);
  assert.deepEqual(g.graph.output.map((o) => types.get(o.name)), [T.FLOAT, T.INT64, T.BOOL, T.INT64]);
  const session = await nodeRuntime({ threads: 1 }).createSession(g.toBytes());
  const out = await session.run({ x: new Tensor(Float32Array.of(0.25, 2, -1, 0.75), [1, 4]) });
  await session.dispose();
  assert.deepEqual([...out[arg]!.data], [1]);
  assert.deepEqual([...out[mask]!.data], [0, 1, 0, 1]);
  assert.deepEqual([...out[g.graph.output[3]!.name]!.data], [1, 4]);
});
