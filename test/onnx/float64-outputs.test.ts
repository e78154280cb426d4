import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castGraphToFloat64 } from '../../src/onnx/float64.js';
import { create } from '@bufbuild/protobuf';
import { valueInfoElemType } from '../../src/onnx/graph.js';
import { TensorProto_DataType, ValueInfoProtoSchema } from '../../src/onnx/proto.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel } from '../autodiff/helpers.js';

const T = TensorProto_DataType;

// castGraphToFloat64 (io float32) casts back to float32 exactly the graph outputs that are float tensors by the element
// type inference (src/onnx/shapes.ts), declared or not; index, shape and mask outputs stay what they are.
test('float64 conversion casts float outputs back to float32 and leaves int64 and bool outputs alone', async () => {
  const g = emptyModel({ x: ['N', 4] });
  const y = g.op('Relu', ['x']);
  const arg = g.op('ArgMax', [y], { axis: { i: 1 } });
  const shape = g.op('Identity', [g.op('Shape', [y])]);
  const mask = g.op('Greater', [y, g.scalar(0.5)]);
  const back = g.op('Cast', [arg], { to: { i: T.FLOAT } });
  // y declared float as a file declares its outputs, back as setOutputs adds one: without a type
  g.addOutput(y, undefined, T.FLOAT);
  g.setOutputs([y, back]);
  g.addOutput(arg, undefined, T.INT64);
  g.addOutput(mask, undefined, T.BOOL);
  // an output declared without an element type: its producer's (Identity of a Shape: int64) decides
  g.graph.output.push(create(ValueInfoProtoSchema, { name: shape }));
  castGraphToFloat64(g);
  const castBack = (name: string): boolean => g.nodes.some((n) => n.opType === 'Cast' && n.output[0] === name && Number(n.attribute[0]!.i) === T.FLOAT);
  assert.ok(castBack(y) && castBack(back), 'float outputs are cast back to float32');
  for (const name of [arg, mask, shape]) assert.ok(!castBack(name), `'${name}' is not a float output`);
  assert.deepEqual(g.graph.output.map(valueInfoElemType), [T.FLOAT, 0, T.INT64, T.BOOL, 0]);
  // ORT agrees with every declared type, and the values are the float32 graph's
  const session = await nodeRuntime({ threads: 1 }).createSession(g.toBytes());
  const out = await session.run({ x: new Tensor(Float32Array.of(0.25, 2, -1, 0.75), [1, 4]) });
  await session.dispose();
  assert.deepEqual([...out[y]!.data], [0.25, 2, 0, 0.75]);
  assert.deepEqual([...out[back]!.data], [1]);
  assert.deepEqual([...out[arg]!.data], [1]);
  assert.deepEqual([...out[mask]!.data], [0, 1, 0, 1]);
  assert.deepEqual([...out[shape]!.data], [1, 4]);
});
