import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logisticRegression } from '../../../src/methods/concepts/linear.js';
import { mulberry32 } from '../../../src/random.js';

/** The primal form: full-batch gradient descent on w (d values) from zero, the same standardization and step. */
function primal(X: Float64Array, n: number, d: number, y: Float64Array, l2 = 1e-2, iterations = 300): { w: Float64Array; b: number } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += X[i * d + j]! / n;
  let ss = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) ss += (X[i * d + j]! - mean[j]!) ** 2;
  const scale = Math.sqrt(ss / n);
  const Z = X.map((v, q) => (v - mean[q % d]!) / scale);
  const w = new Float64Array(d);
  let b = 0;
  const step = 1 / (0.25 + l2);
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(d);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * Z[i * d + j]!;
      const r = 1 / (1 + Math.exp(-s)) - y[i]!;
      gb += r / n;
      for (let j = 0; j < d; j++) g[j]! += (r * Z[i * d + j]!) / n;
    }
    for (let j = 0; j < d; j++) w[j]! -= step * (g[j]! + l2 * w[j]!);
    b -= step * gb;
  }
  const weights = w.map((v) => v / scale);
  let bias = b;
  for (let j = 0; j < d; j++) bias -= weights[j]! * mean[j]!;
  return { w: weights, b: bias };
}

test('CAV logistic regression: the n×n (kernel) iterations equal primal gradient descent, for n < d and n > d', () => {
  const rand = mulberry32(5);
  for (const [n, d] of [[12, 80], [40, 6]] as const) {
    const X = Float64Array.from({ length: n * d }, () => rand() * 2 - 1 + 0.3);
    const y = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 1 : 0));
    for (let i = 0; i < n / 2; i++) X[i * d] += 0.8; // class 1 sits further along feature 0
    const got = logisticRegression(X, n, d, y);
    const ref = primal(X, n, d, y);
    const norm = Math.sqrt(ref.w.reduce((s, v) => s + v * v, 0));
    const diff = Math.sqrt(got.weights.reduce((s, v, j) => s + (v - ref.w[j]!) ** 2, 0));
    assert.ok(diff / norm < 1e-10, `n=${n} d=${d}: relative weight difference ${diff / norm}`);
    assert.ok(Math.abs(got.bias - ref.b) < 1e-10 * (1 + Math.abs(ref.b)), `bias ${got.bias} vs ${ref.b}`);
    assert.ok(got.accuracy > 0.7, `accuracy ${got.accuracy}`);
  }
});
