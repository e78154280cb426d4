import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countNonFinite } from '../../src/methods/validate.js';

// countNonFinite has a branch-free fast path (four running sums of x·0) before it counts: every position, the
// unrolled body and the tail, must still see a NaN or an infinity.
const naive = (d: ArrayLike<number>): number => Array.from(d).filter((v) => !Number.isFinite(v)).length;

test('countNonFinite finds NaN and ±Inf at every position of short and odd-length arrays', () => {
  for (let n = 0; n <= 11; n++) {
    const clean = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -0 : (i - 5) * 1.5e37));
    assert.equal(countNonFinite(clean), 0, `clean length ${n}`);
    for (let at = 0; at < n; at++) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const d = clean.slice();
        d[at] = bad;
        assert.equal(countNonFinite(d), 1, `length ${n}, ${bad} at ${at}`);
        d[n - 1 - at] = Number.NaN;
        assert.equal(countNonFinite(d), naive(d), `length ${n}, two values`);
      }
    }
  }
});

test('countNonFinite: float32 extremes, subnormals and a 224×224×3 input', () => {
  const extremes = Float32Array.of(3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 0, -0);
  assert.equal(countNonFinite(extremes), 0);
  assert.equal(countNonFinite([1, Number.NaN, 2]), 1);
  assert.equal(countNonFinite(Float64Array.of(Number.MAX_VALUE, Number.MIN_VALUE)), 0);
  const big = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i) * 1e30);
  assert.equal(countNonFinite(big), 0);
  big[big.length - 1] = Number.NaN;
  big[7] = Number.POSITIVE_INFINITY;
  big[150_001] = Number.NEGATIVE_INFINITY;
  assert.equal(countNonFinite(big), 3);
});
