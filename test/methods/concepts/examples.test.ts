import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mmdCritic, nearestByCosine } from '../../../src/methods/concepts/examples.js';
import { mulberry32 } from '../../../src/random.js';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

test('nearestByCosine ranks by cosine similarity, best first', () => {
  const bank = Float64Array.of(1, 0, 0, 1, 1, 1, -1, 0, 2, 0.1);
  const r = nearestByCosine([1, 0], bank, 5, 2, 3);
  assert.deepEqual(r.map((x) => x.index), [0, 4, 2]);
  assert.equal(r[0]!.similarity, 1);
  assert.ok(Math.abs(r[1]!.similarity - 2 / Math.sqrt(4.01)) < 1e-12);
  assert.ok(Math.abs(r[2]!.similarity - Math.SQRT1_2) < 1e-12);
});

/** Two Gaussian clusters (30 + 20 points) and 3 planted outliers far from both. */
function planted(): { X: Float64Array; n: number; d: number; outliers: number[] } {
  const rand = mulberry32(5);
  const d = 6;
  const rows: number[][] = [];
  for (let i = 0; i < 30; i++) rows.push(Array.from({ length: d }, () => gaussian(rand)));
  for (let i = 0; i < 20; i++) rows.push(Array.from({ length: d }, (_, q) => (q === 0 ? 6 : 0) + gaussian(rand)));
  const outliers = [7, 23, 41];
  for (const [r, at] of outliers.entries()) rows.splice(at, 0, Array.from({ length: d }, (_, q) => (q === 1 + r ? 12 : 3) + 0.1 * gaussian(rand)));
  return { X: Float64Array.from(rows.flat()), n: rows.length, d, outliers };
}

test('MMD-critic: prototypes cover both clusters, the planted outliers are the criticisms', () => {
  const { X, n, d, outliers } = planted();
  const r = mmdCritic(X, n, d, { prototypes: 6, criticisms: 3 });
  const cluster = (i: number): string => (outliers.includes(i) ? 'outlier' : X[i * d]! > 3 ? 'B' : 'A');
  assert.deepEqual(new Set(r.prototypes.map(cluster)), new Set(['A', 'B']));
  assert.deepEqual([...r.criticisms].sort((a, b) => a - b), outliers);
  // MMD² of the chosen prototypes is below that of the same number of points from one cluster only
  const kernel = (i: number, j: number): number => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (X[i * d + q]! - X[j * d + q]!) ** 2;
    return Math.exp(-r.gamma * s);
  };
  const mmd2 = (S: number[]): number => {
    let a = 0, b = 0;
    for (const i of S) for (let j = 0; j < n; j++) b += kernel(i, j);
    for (const i of S) for (const j of S) a += kernel(i, j);
    return a / S.length ** 2 - (2 * b) / (n * S.length);
  };
  assert.ok(mmd2(r.prototypes) < mmd2([0, 1, 2, 3, 4, 5]));
  for (const w of r.witness) assert.ok(w > 0, 'under-represented by the prototypes');
  // the paper's |witness| also picks a point the prototypes over-represent (w < 0) first
  const abs = mmdCritic(X, n, d, { prototypes: 6, criticisms: 3, witness: 'absolute' });
  assert.ok(abs.witness[0]! < 0 && !outliers.includes(abs.criticisms[0]!));
  assert.throws(() => mmdCritic(X, n, d, { prototypes: 50, criticisms: 10 }), /50 prototypes \+ 10 criticisms, but only 53 images; ask for at most 53 in all/);
});
