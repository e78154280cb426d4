import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imputeLinear, percentile, roadMask } from '../../src/metrics/faithfulness/road.js';
import { Random } from '../../src/random.js';
import { fixtureNumbers } from './helpers.js';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('one removed pixel = 1/6 · direct + 1/12 · diagonal neighbours', () => {
  const plane = Float64Array.of(1, 2, 3, 4, 100, 6, 7, 8, 9);
  const removed = Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0);
  const [out] = imputeLinear([plane], 3, 3, removed);
  close(out![4]!, (2 + 4 + 6 + 8) / 6 + (1 + 3 + 7 + 9) / 12);
  assert.deepEqual(Array.from(out!).filter((_, i) => i !== 4), [1, 2, 3, 4, 6, 7, 8, 9]);
});

test('two coupled removed pixels, hand-solved (edge pixel uses only its in-image neighbours)', () => {
  // x4 = (2 + 4 + 8 + x5)/6 + (1 + 3 + 7 + 9)/12
  // (2/3)·x5 = x4/6 + (3 + 9)/6 + (2 + 8)/12      (pixel 5 sits on the right edge)
  // ⇒ 23·x4 = 113, x5 = (17 + x4)/4
  const plane = Float64Array.of(1, 2, 3, 4, 0, 0, 7, 8, 9);
  const [out] = imputeLinear([plane], 3, 3, Uint8Array.of(0, 0, 0, 0, 1, 1, 0, 0, 0));
  close(out![4]!, 113 / 23);
  close(out![5]!, 126 / 23);
});

test('on a larger image every imputed pixel is the weighted mean of its neighbours, per channel', () => {
  const [h, w] = [12, 10];
  const planes = [Float64Array.from(fixtureNumbers(h * w, 1)), Float64Array.from(fixtureNumbers(h * w, 2))];
  const removed = Uint8Array.from(fixtureNumbers(h * w, 3), (v) => (v > -0.4 ? 1 : 0)); // ~70% removed
  const filled = imputeLinear(planes, h, w, removed);
  const offsets: [number, number, number][] = [[0, 1, 1 / 6], [0, -1, 1 / 6], [1, 0, 1 / 6], [-1, 0, 1 / 6], [1, 1, 1 / 12], [1, -1, 1 / 12], [-1, 1, 1 / 12], [-1, -1, 1 / 12]];
  for (const plane of filled) {
    for (let p = 0; p < h * w; p++) {
      if (!removed[p]) continue;
      const [y, x] = [Math.floor(p / w), p % w];
      let s = 0;
      let total = 0;
      for (const [dy, dx, wt] of offsets) {
        if (y + dy < 0 || x + dx < 0 || y + dy >= h || x + dx >= w) continue;
        s += wt * plane[(y + dy) * w + x + dx]!;
        total += wt;
      }
      close(plane[p]!, s / total, 1e-7);
    }
  }
  // kept pixels untouched
  for (let p = 0; p < h * w; p++) if (!removed[p]) assert.equal(filled[0]![p], planes[0]![p]);
});

test('noise is added with σ = noise (seeded)', () => {
  const n = 40 * 40;
  const removed = new Uint8Array(n);
  for (let p = 0; p < n; p++) removed[p] = p % 2;
  const flat = new Float64Array(n).fill(0.5);
  const [out] = imputeLinear([flat], 40, 40, removed, 0.01, new Random(1));
  const d = Array.from(out!).filter((_, p) => removed[p]).map((v) => v - 0.5);
  const sd = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
  assert.ok(Math.abs(sd - 0.01) < 0.001, `σ ${sd}`);
  const [again] = imputeLinear([flat], 40, 40, removed, 0.01, new Random(1));
  assert.deepEqual(Array.from(again!), Array.from(out!));
});

test('percentile is numpy linear and MoRF/LeRF masks follow pytorch-grad-cam', () => {
  close(percentile([5, 1, 4, 2, 3], 80), 4.2);
  close(percentile([1, 2, 3, 4, 5], 10), 1.4);
  const map = [1, 2, 3, 4, 5];
  assert.deepEqual(Array.from(roadMask(map, 80, 'morf')), [0, 0, 0, 0, 1]); // map ≥ 4.2
  assert.deepEqual(Array.from(roadMask(map, 20, 'morf')), [0, 1, 1, 1, 1]); // map ≥ 1.8
  assert.deepEqual(Array.from(roadMask(map, 80, 'lerf')), [1, 0, 0, 0, 0]); // −map ≥ −1.8
});

test('multigrid-preconditioned CG solves a 60×60 stencil system (Dirichlet border) to 1e-8 in < 40 iterations', async () => {
  const { buildHierarchy, multiply, solveSpd, stencilMatrix, vCycle } = await import('../../src/metrics/sparse.js');
  // The solver alone, on the ROAD stencil (1/6 direct, 1/12 diagonal) over a full grid with zero outside.
  const side = 60;
  const ys = Int32Array.from({ length: side * side }, (_, i) => Math.floor(i / side));
  const xs = Int32Array.from({ length: side * side }, (_, i) => i % side);
  const a = stencilMatrix(ys, xs);
  for (let i = 0; i < side * side; i++) {
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      if (dy === 0 && dx === 0) continue;
      const [y, x] = [ys[i]! + dy, xs[i]! + dx];
      if (y < 0 || x < 0 || y >= side || x >= side) continue;
      const slot = i * 9 + (dy + 1) * 3 + (dx + 1);
      a.cols[slot] = y * side + x;
      a.vals[slot] = dy && dx ? -1 / 12 : -1 / 6;
    }
    a.cols[i * 9 + 4] = i;
    a.vals[i * 9 + 4] = 1; // all 8 weights: border rows are diagonally dominant (Dirichlet 0 outside)
  }
  const b = Float64Array.from(fixtureNumbers(side * side, 17));
  const hierarchy = buildHierarchy(a);
  const { x, iterations } = solveSpd(a, b, (r) => vCycle(hierarchy, r));
  const ax = new Float64Array(side * side);
  multiply(a, x, ax);
  let err = 0;
  for (let i = 0; i < ax.length; i++) err = Math.max(err, Math.abs(ax[i]! - b[i]!));
  assert.ok(err < 1e-8, `residual ${err}`);
  assert.ok(iterations < 40, `${iterations} iterations`);
});
