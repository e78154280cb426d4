import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haltonSequence, jansenTotalIndices, sobolDesign } from '../../../src/methods/concepts/sobol.js';

/** Total indices of f over the design of `dim` masks with `designs` points. */
function indices(f: (m: Float32Array) => number, dim: number, designs: number): number[] {
  const masks = sobolDesign(dim, designs);
  const y = Array.from({ length: masks.length / dim }, (_, r) => f(masks.subarray(r * dim, (r + 1) * dim)));
  return jansenTotalIndices(y, dim, designs);
}

test('Halton sequence and replicated design equal scipy / deel-ai Craft (HaltonSequence, unscrambled)', () => {
  // scipy.stats.qmc.Halton(4, scramble=False).random(5)
  const h = haltonSequence(4, 5);
  const ref = [0, 0, 0, 0, 0.5, 1 / 3, 0.2, 1 / 7, 0.25, 2 / 3, 0.4, 2 / 7, 0.75, 1 / 9, 0.6, 3 / 7, 0.125, 4 / 9, 0.8, 4 / 7];
  ref.forEach((v, i) => assert.ok(Math.abs(h[i]! - v) < 1e-12, `${i}: ${h[i]} vs ${v}`));
  // rows 0, 1, 2 (A), 33 (B), 64, 65 (C_0), 96 (C_1), 128 (C_2), 159 of Craft's HaltonSequence()(3, 32), float32
  const m = sobolDesign(3, 32);
  const rows: [number, number[]][] = [
    [0, [0, 0, 0]],
    [1, [0.5, 0.3333333432674408, 0.20000000298023224]],
    [2, [0.25, 0.6666666865348816, 0.4000000059604645]],
    [33, [0.1428571492433548, 0.09090909361839294, 0.07692307978868484]],
    [64, [0, 0, 0]],
    [65, [0.1428571492433548, 0.3333333432674408, 0.20000000298023224]],
    [96, [0, 0, 0]],
    [128, [0, 0, 0]],
    [159, [0.96875, 0.45679011940956116, 0.3964497148990631]],
  ];
  assert.equal(m.length, 5 * 32 * 3);
  for (const [r, v] of rows) assert.deepEqual(Array.from(m.subarray(r * 3, r * 3 + 3)), v, `row ${r}`);
});

test("Jansen total indices equal Craft's JansenEstimator on its Halton design (32 points)", () => {
  // f = 3 m0 + m1 + 2 m0 m2 through deel-ai/Craft's HaltonSequence + JansenEstimator (scipy 1.10): reference numbers
  const st = indices((m) => 3 * m[0]! + m[1]! + 2 * m[0]! * m[2]!, 3, 32);
  const ref = [0.7747000485291203, 0.05748053648234894, 0.063574555453898];
  st.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-6, `ST_${i} ${v} vs ${ref[i]}`));
});

test('Jansen total indices converge to the closed forms: additive, multiplicative, and a dummy concept', () => {
  // additive f = Σ a_j m_j, m_j ~ U[0, 1] independent: ST_j = a_j² / Σ a²; m2 does not enter f: ST = 0 exactly
  const a = [3, 1, 0, 2];
  const st = indices((m) => a.reduce((s, aj, j) => s + aj * m[j]!, 0), 4, 1024);
  const total = a.reduce((s, v) => s + v * v, 0);
  st.forEach((v, j) => assert.ok(Math.abs(v - (a[j]! * a[j]!) / total) < 0.02, `ST_${j} = ${v}, closed form ${(a[j]! * a[j]!) / total}`));
  assert.equal(st[2], 0);
  // multiplicative f = m0 · m1: Var f = 1/9 − 1/16 = 7/144, ST_0 = ST_1 = E[m²]·(1/12) / Var = 4/7 (they sum past 1: interaction)
  const [s0, s1] = indices((m) => m[0]! * m[1]!, 2, 1024);
  for (const v of [s0!, s1!]) assert.ok(Math.abs(v - 4 / 7) < 0.02, `ST = ${v}, closed form ${4 / 7}`);
  // a constant output has no variance to share
  assert.ok(indices(() => 1, 2, 8).every((v) => Number.isNaN(v)));
});
