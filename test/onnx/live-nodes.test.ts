import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, NodeProtoSchema, AttributeProtoSchema, AttributeProto_AttributeType } from '../../src/onnx/proto.js';
import { headGraph, liveNodes, nodeReads } from '../../src/onnx/subgraph.js';
import { segmentGraph } from '../../src/runtime/segment.js';
import { emptyModel } from '../autodiff/helpers.js';

// One backward walk (liveNodes) decides which nodes the outputs need, for head extraction and for segmentation.
test('liveNodes keeps what the outputs read, through a control-flow body reading an outer value by name', () => {
  const g = emptyModel({ x: ['N', 4] });
  const a = g.op('Relu', ['x']);
  const outer = g.op('Neg', ['x']); // read only inside the If body
  const dead = g.op('Sin', ['x']);
  const cond = g.op('ReduceMax', [a], { keepdims: { i: 0 } });
  const body = create(GraphProtoSchema, { name: 'then', node: [create(NodeProtoSchema, { opType: 'Identity', input: [outer], output: ['then_out'] })], output: [] });
  const [picked] = g.addNode('If', [cond], 1);
  const ifNode = g.nodes.at(-1)!;
  ifNode.attribute.push(create(AttributeProtoSchema, { name: 'then_branch', type: AttributeProto_AttributeType.GRAPH, g: body }));
  assert.deepEqual(nodeReads(ifNode), [cond, outer]);
  const { live, needed } = liveNodes(g.nodes, [picked!]);
  assert.deepEqual(g.nodes.filter((_, i) => live[i]).map((n) => n.opType), ['Relu', 'Neg', 'ReduceMax', 'If']);
  assert.ok(needed.has(outer) && needed.has('x') && !needed.has(dead));
});

test('headGraph and segmentGraph drop the same dead nodes', () => {
  const g = emptyModel({ x: ['N', 4] });
  let y = g.op('Relu', ['x']);
  const layer = y;
  let dead = y;
  for (let i = 0; i < 6; i++) dead = g.op('Sin', [dead]);
  for (let i = 0; i < 6; i++) y = g.op('Neg', [y]);
  g.setOutputs([y]);
  const head = headGraph(g.model, layer, [y], ['N', 4]);
  assert.deepEqual(head.graph.nodes.map((n) => n.opType), new Array(6).fill('Neg'));
  assert.equal(head.needsModelInput, false);
  const seg = segmentGraph(g, 4)!;
  assert.equal(seg.segments.reduce((s, x) => s + x.nodes, 0), 7); // Relu and the 6 Neg
});
