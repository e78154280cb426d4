import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { buildBackwardGraph } from '../../src/autodiff/builder.js';
import { castGraphToFloat64 } from '../../src/onnx/float64.js';
import { NodeProtoSchema } from '../../src/onnx/proto.js';
import { emptyModel } from '../autodiff/helpers.js';

// OnnxGraph.producer follows the passes that move, remove, add or rename nodes' outputs (positions checked at each
// lookup, the list re-read when it changed; renames in place through renameOutput), as the initializer lookup does.

test('producer follows float64 conversion: the output Cast back and the node renamed before it', () => {
  const g = emptyModel({ x: ['N', 4] });
  const relu = g.op('Relu', ['x']);
  const y = g.op('Neg', [relu]);
  g.setOutputs([y]);
  const neg = g.producer(y)!;
  castGraphToFloat64(g);
  assert.equal(g.producer(y)!.opType, 'Cast');
  const inner = g.producer(y)!.input[0]!;
  assert.equal(g.producer(inner), neg, "the Neg now writes the inner name (was: unknown to the view)");
  assert.equal(g.producer(relu)!.opType, 'Relu');
  // every output the nodes write is found at its node; nothing else is
  for (const node of g.nodes) for (const o of node.output) assert.equal(g.producer(o), node);
  assert.equal(g.producer('x'), undefined);
});

test('producer after edits behind the view: a node removed, pushed, the list replaced, an output renamed', () => {
  const g = emptyModel({ x: ['N', 4] });
  const a = g.op('Relu', ['x']);
  const b = g.op('Neg', [a]);
  const c = g.op('Abs', [b]);
  assert.equal(g.producer(c)!.opType, 'Abs');
  g.graph.node.splice(1, 1); // the Neg
  assert.equal(g.producer(b), undefined, 'a removed node is not a producer (was: the removed Neg)');
  assert.equal(g.producer(c)!.opType, 'Abs');
  g.graph.node.push(create(NodeProtoSchema, { opType: 'Sin', input: ['x'], output: ['pushed'] }));
  assert.equal(g.producer('pushed')?.opType, 'Sin', 'a node pushed onto the list is found (was: undefined)');
  g.graph.node = g.graph.node.filter((n) => n.opType !== 'Relu');
  assert.equal(g.producer(a), undefined);
  const abs = g.producer(c)!;
  g.renameOutput(abs, 0, 'renamed');
  assert.equal(g.producer('renamed'), abs);
  assert.equal(g.producer(c), undefined);
  // addNode after all that: found, and earlier lookups still right
  const d = g.op('Cos', ['renamed']);
  assert.equal(g.producer(d)!.opType, 'Cos');
  assert.equal(g.producer('pushed')?.opType, 'Sin');
});

test("a MaxPool's Indices output named by its gradient rule is found at the MaxPool", () => {
  const g = emptyModel({ x: [1, 1, 4, 4] });
  const pooled = g.op('MaxPool', ['x'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  const target = g.op('ReduceSum', [pooled], { keepdims: { i: 0 } });
  g.setOutputs([target]);
  // float64 graphs take the Indices path (ORT has no double Conv for the unfolded one)
  const built = buildBackwardGraph(g.model, { target, wrt: ['x'], precision: 'float64' });
  const pool = built.graph.producer(pooled)!;
  assert.equal(pool.output.length, 2);
  assert.equal(built.graph.producer(pool.output[1]!), pool);
});
