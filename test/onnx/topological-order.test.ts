import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCycle } from '../../src/onnx/check.js';
import { topologicalOrder } from '../../src/onnx/subgraph.js';
import { emptyModel } from '../autodiff/helpers.js';

// One Kahn's algorithm (src/onnx/subgraph.ts) for the load check's cycle search and the export's node sort.
test('topologicalOrder: producers first, ties first in first out, a sorted list kept; cycles and unmade inputs left out', () => {
  const g = emptyModel({ x: ['N', 4] });
  const a = g.op('Relu', ['x']);
  const b = g.op('Neg', ['x']);
  g.op('Add', [a, b]);
  const nodes = g.nodes;
  assert.deepEqual(topologicalOrder(nodes, ['x']), { order: [0, 1, 2], left: [] });
  // reversed: the two ready ones in list order (Neg, Relu), then the Add they release
  const reversed = [...nodes].reverse();
  assert.deepEqual(topologicalOrder(reversed, ['x']).order, [1, 2, 0]);
  // a value no node makes: given when `given` is not passed, otherwise the node waits for it forever
  const h = emptyModel({ x: ['N', 4] });
  h.op('Add', [h.op('Relu', ['x']), 'nowhere']);
  assert.deepEqual(topologicalOrder(h.nodes), { order: [0, 1], left: [] });
  assert.deepEqual(topologicalOrder(h.nodes, ['x']), { order: [0], left: [1] });
  // a cycle (Relu ← Neg ← Relu) and what depends on it are left; findCycle names them in list order
  const c = emptyModel({ x: ['N', 4] });
  c.addNode('Relu', ['n'], ['r']);
  c.addNode('Neg', ['r'], ['n']);
  c.addNode('Abs', ['r'], ['y']);
  c.addNode('Sin', ['x'], ['s']);
  assert.deepEqual(topologicalOrder(c.nodes), { order: [3], left: [0, 1, 2] });
  assert.deepEqual(findCycle(c), c.nodes.slice(0, 3).map((n) => n.name));
  assert.equal(findCycle(g), undefined);
});
