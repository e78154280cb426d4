import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nmf } from '../../../src/methods/concepts/nmf.js';
import { factorizeActivations, reconstruct } from '../../../src/methods/concepts/dff.js';
import { mulberry32 } from '../../../src/random.js';
import { Tensor } from '../../../src/tensor.js';

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

function column(M: ArrayLike<number>, rows: number, cols: number, j: number): Float64Array {
  return Float64Array.from({ length: rows }, (_, i) => M[i * cols + j]!);
}

/**
 * Separable non-negative factors (each concept owns two channels and some positions where it alone is present),
 * so the factorization is unique up to order and scale; some positions hold no concept (every channel's minimum is 0).
 */
function plantedFactors(c: number, k: number, cols: number, seed: number): { W: Float64Array; H: Float64Array } {
  const rand = mulberry32(seed);
  const W = new Float64Array(c * k);
  for (let i = 0; i < c; i++) for (let j = 0; j < k; j++) W[i * k + j] = i < 2 * k ? (Math.floor(i / 2) === j ? 1 + rand() : 0) : rand() < 0.5 ? rand() : 0;
  const H = new Float64Array(k * cols);
  for (let p = 0; p < cols; p++) {
    const kind = p % (k + 3);
    for (let j = 0; j < k; j++) H[j * cols + p] = kind < k ? (kind === j ? 0.5 + rand() : 0) : kind === k ? 0 : rand() < 0.6 ? rand() * 2 : 0;
  }
  return { W, H };
}

function product(W: Float64Array, H: Float64Array, m: number, k: number, n: number): Float64Array {
  const V = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) for (let p = 0; p < n; p++) V[i * n + p]! += W[i * k + j]! * H[j * n + p]!;
  return V;
}

/** Best-matching recovered column for each planted one (cosine), as a permutation. */
function matchColumns(truth: ArrayLike<number>, found: ArrayLike<number>, rows: number, k: number): { perm: number[]; cos: number[] } {
  const perm: number[] = [];
  const cos: number[] = [];
  for (let j = 0; j < k; j++) {
    let best = -1, bestCos = -Infinity;
    for (let l = 0; l < k; l++) {
      const s = cosine(column(truth, rows, k, j), column(found, rows, k, l));
      if (s > bestCos) [best, bestCos] = [l, s];
    }
    perm.push(best);
    cos.push(bestCos);
  }
  return { perm, cos };
}

test('NMF (HALS) recovers planted non-negative factors up to order and scale, deterministically', () => {
  const [m, k, n] = [14, 4, 120];
  const { W, H } = plantedFactors(m, k, n, 7);
  const V = product(W, H, m, k, n);
  const r = nmf(V, m, n, k, { seed: 1 });
  assert.ok(r.relativeError < 1e-3, `relative error ${r.relativeError}`);
  const { perm, cos } = matchColumns(W, r.W, m, k);
  assert.deepEqual([...new Set(perm)].length, k, 'each planted concept matches a different recovered one');
  for (const s of cos) assert.ok(s > 0.999, `W column cosine ${s}`);
  for (let j = 0; j < k; j++) {
    const s = cosine(H.subarray(j * n, (j + 1) * n), r.H.subarray(perm[j]! * n, (perm[j]! + 1) * n));
    assert.ok(s > 0.999, `H row cosine ${s}`);
  }
  const again = nmf(V, m, n, k, { seed: 1 });
  assert.deepEqual(again.W, r.W, 'same seed, same factors');
  assert.throws(() => nmf(Float64Array.of(1, -1), 1, 2, 1), /non-negative/);
});

test('DFF factorization of constructed activations: concepts and maps recovered, maps sum back to the factorization', () => {
  const [n, c, h, w, k] = [3, 12, 5, 8, 3];
  const cols = n * h * w;
  const { W, H } = plantedFactors(c, k, cols, 3);
  // A[i, ch, p] = Σ_j W[ch, j]·H[j, i·hw + p], plus a per-channel constant the offset must absorb
  const V = product(W, H, c, k, cols);
  const shift = Float64Array.from({ length: c }, (_, ch) => ch * 0.25 - 1);
  const A = new Float32Array(n * c * h * w);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) A[(i * c + ch) * h * w + p] = V[ch * cols + i * h * w + p]! + shift[ch]!;
  const acts = new Tensor(A, [n, c, h, w]);
  const f = factorizeActivations(acts, k, { seed: 0 });
  for (let ch = 0; ch < c; ch++) assert.ok(Math.abs(f.offset[ch]! - shift[ch]!) < 1e-6, 'offset = channel minimum');
  assert.ok(f.relativeError < 1e-3, `relative error ${f.relativeError}`);
  const centred = Float32Array.from({ length: c * k }, (_, q) => f.concepts[q]! - f.offset[Math.floor(q / k)]!);
  const { perm, cos } = matchColumns(W, centred, c, k);
  for (const s of cos) assert.ok(s > 0.999, `concept cosine ${s}`);
  // concept j's map over image i is H[j] restricted to that image
  for (let j = 0; j < k; j++) {
    const truth = H.subarray(j * cols, (j + 1) * cols);
    const found = Float64Array.from({ length: cols }, (_, q) => f.maps.data[(Math.floor(q / (h * w)) * k + perm[j]!) * h * w + (q % (h * w))]!);
    assert.ok(cosine(truth, found) > 0.999);
  }
  // Σ_j concept_j ⊗ map_j (+ offset) is the activations, to the factorization's error
  const back = reconstruct(f);
  let err = 0, norm = 0;
  for (let q = 0; q < A.length; q++) {
    err += (back.data[q]! - A[q]!) ** 2;
    norm += A[q]! ** 2;
  }
  assert.ok(Math.sqrt(err / norm) < 1e-3, `reconstruction ${Math.sqrt(err / norm)}`);
  assert.throws(() => factorizeActivations(acts, c + 1), /k = 13 concepts but the layer has only 12 channels/);
});
