import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstComponentProjection, jacobiEigen, subspaceTopEigen, topEigenvector } from '../../../src/methods/cam/linalg.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

/** A random symmetric PSD matrix B·Bᵀ of size n. */
function gram(n: number, seed: number): Float64Array {
  const rnd = lcg(seed);
  const b = Float64Array.from({ length: n * n }, () => rnd() - 0.5);
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < n; t++) s += b[i * n + t]! * b[j * n + t]!;
    k[i * n + j] = s;
  }
  return k;
}

test('Jacobi: K·v = λ·v for every eigenpair, eigenvectors orthonormal', () => {
  const n = 12;
  const k = gram(n, 3);
  const { values, vectors } = jacobiEigen(k, n);
  for (let e = 0; e < n; e++) {
    for (let i = 0; i < n; i++) {
      let kv = 0;
      for (let j = 0; j < n; j++) kv += k[i * n + j]! * vectors[j * n + e]!;
      assert.ok(Math.abs(kv - values[e]! * vectors[i * n + e]!) < 1e-10);
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += vectors[i * n + e]! ** 2;
    assert.ok(Math.abs(norm - 1) < 1e-12);
  }
});

test('subspace iteration (large matrices) finds the same top eigenpair as Jacobi', () => {
  const n = 60;
  const k = gram(n, 11);
  const big = subspaceTopEigen(k, n);
  assert.equal(topEigenvector(k, n).value, jacobiEigen(k, n).values.reduce((a, b) => Math.max(a, b)));
  const { values, vectors } = jacobiEigen(k, n);
  let best = 0;
  for (let i = 1; i < n; i++) if (values[i]! > values[best]!) best = i;
  assert.ok(Math.abs(big.value - values[best]!) < 1e-9 * values[best]!);
  let dot = 0;
  for (let i = 0; i < n; i++) dot += big.vector[i]! * vectors[i * n + best]!;
  assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-8, `|cos| = ${Math.abs(dot)}`);
});

test('projection: p = centred M·v1 from either Gram side, sign correlated with the mean channel map', () => {
  // Two channels with a clear dominant direction: channel 0 = ramp, channel 1 = 2 × ramp + small noise.
  const hw = 6;
  const x = new Float32Array(2 * hw);
  for (let p = 0; p < hw; p++) {
    x[p] = p;
    x[hw + p] = 2 * p + (p % 2 ? 0.01 : -0.01);
  }
  const p = firstComponentProjection(x, 2, hw);
  // The mean map increases with p, so the projection must too.
  for (let i = 1; i < hw; i++) assert.ok(p[i]! > p[i - 1]!);
  // hw > C here (Gram over channels); with C ≥ hw (Gram over positions) the same data repeated gives the same p·√reps.
  const reps = 8;
  const wide = new Float32Array(2 * reps * hw);
  for (let r = 0; r < reps; r++) wide.set(x, r * 2 * hw);
  const q = firstComponentProjection(wide, 2 * reps, hw);
  for (let i = 0; i < hw; i++) assert.ok(Math.abs(q[i]! - Math.sqrt(reps) * p[i]!) < 1e-9 * Math.abs(q[i]! || 1));
});
