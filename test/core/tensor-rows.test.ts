import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from '../../src/tensor.js';

test('Tensor.rows: items start…end−1 along the first axis as a view; out-of-range bounds are refused', () => {
  const t = new Tensor(Float32Array.from({ length: 4 * 2 * 3 }, (_, i) => i), [4, 2, 3]);
  const r = t.rows(1, 3);
  assert.deepEqual(r.dims, [2, 2, 3]);
  assert.deepEqual(Array.from(r.data), Array.from({ length: 12 }, (_, i) => 6 + i));
  assert.equal(r.data.buffer, t.data.buffer); // a view, as item(i)
  assert.deepEqual(t.rows(2, 2).dims, [0, 2, 3]);
  assert.deepEqual(Array.from(t.rows(3, 4).data), Array.from(t.item(3).data));
  for (const [a, b] of [[-1, 2], [2, 1], [0, 5]] as const) assert.throws(() => t.rows(a, b), RangeError);
});
