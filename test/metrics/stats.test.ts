import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convolveSeparable, entropy, gaussianBlur, gaussianKernel, gini, minMaxNormalize, pearson, ranks, spearman, ssim, trapezoid } from '../../src/metrics/stats.js';
import { Random } from '../../src/random.js';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('pearson on known vectors', () => {
  close(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1);
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
  // dx = dy-permuted (−1.5, −.5, .5, 1.5): Σdxdy = 4, Σdx² = Σdy² = 5
  close(pearson([1, 2, 3, 4], [1, 3, 2, 4]), 0.8);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test('ranks average ties and spearman uses them', () => {
  assert.deepEqual(Array.from(ranks([10, 20, 20, 30])), [1, 2.5, 2.5, 4]);
  assert.deepEqual(Array.from(ranks([3, 1, 2])), [3, 1, 2]);
  close(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  // ranks [1, 2.5, 2.5, 4] vs [1, 2, 3, 4]: 4.5 / sqrt(4.5 · 5)
  close(spearman([1, 2, 2, 3], [1, 2, 3, 4]), 4.5 / Math.sqrt(22.5));
  close(spearman([5, 4, 3, 2, 1], [1, 2, 3, 4, 5]), -1);
});

test('gini: uniform 0, one-hot (n−1)/n, [1,2,3,4] = 0.25', () => {
  close(gini([1, 1, 1, 1]), 0);
  close(gini([0, 0, 0, 1]), 0.75);
  close(gini([4, -3, 2, 1]), 0.25); // absolute values are used
  close(gini([0, 0, 0]), 0);
});

test('entropy of fractional contributions', () => {
  close(entropy([1, 1, 1, 1]), Math.log(4));
  close(entropy([0, 0, 5]), 0);
  close(entropy([1, -3]), -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)));
});

test('trapezoid on an uneven grid', () => {
  close(trapezoid([0, 1, 1], [0, 0.5, 1]), 0.75);
  close(trapezoid([1, 0.5, 0], [0, 0.75, 1]), 0.75 * 0.75 + 0.25 * 0.25);
});

test('gaussian kernel and blur with replicated edges', () => {
  const e = Math.exp(-0.5);
  const a = e / (1 + 2 * e);
  const b = 1 / (1 + 2 * e);
  const k = gaussianKernel(3, 1);
  close(k[0]!, a);
  close(k[1]!, b);
  close(k[2]!, a);
  const blurred = gaussianBlur([0, 3, 6], 1, 3, 3, 1);
  close(blurred[0]!, 3 * a); // a·0 (replicated) + b·0 + a·3
  close(blurred[1]!, 3 * b + 6 * a);
  close(blurred[2]!, 9 * a + 6 * b); // a·3 + b·6 + a·6 (replicated)
  // valid mode: only where the whole window fits; a 3×3 box over 1..9 sums to 45
  const valid = convolveSeparable([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3, Float64Array.of(1, 1, 1), 'valid');
  assert.deepEqual([valid.height, valid.width, valid.data[0]], [1, 1, 45]);
});

test('gaussianKernel as σ → 0: all weight on the middle tap (two for an even size), never NaN', () => {
  // an odd size: the centre; 2σ² underflows to 0 below σ ≈ 1e-162 (0/0 at the centre before)
  for (const sigma of [1e-6, 1e-20, 1e-200, 5e-324]) assert.deepEqual(Array.from(gaussianKernel(5, sigma)), [0, 0, 1, 0, 0], `σ ${sigma}`);
  // an even size: both middle taps sit 0.5 from the centre, exp(−0.25/2σ²) underflows below σ ≈ 0.013 (NaN before)
  for (const sigma of [0.01, 1e-6, 5e-324]) assert.deepEqual(Array.from(gaussianKernel(4, sigma)), [0, 0.5, 0.5, 0], `σ ${sigma}`);
  assert.deepEqual(Array.from(gaussianKernel(1, 1e-300)), [1]);
  // just above where the middle taps underflow, the formula itself: exp(−0.25/2σ²) ≈ 1e-136 each, the outer ones 0
  assert.deepEqual(Array.from(gaussianKernel(4, 0.02)), [0, 0.5, 0.5, 0]);
  // a blur with such a kernel is the image itself (odd size)
  assert.deepEqual(Array.from(gaussianBlur([1, 2, 3, 4, 5, 6], 2, 3, 3, 1e-20)), [1, 2, 3, 4, 5, 6]);
});

test('ssim: identical = 1, flat images and a 1-pixel window by hand', () => {
  const img = Float64Array.from({ length: 144 }, (_, i) => (i * 37) % 11 / 10);
  close(ssim(img, img, 12, 12), 1);
  // Flat 0.2 vs flat 0.6: variances and covariance 0 → (2·0.12 + C1)/(0.04 + 0.36 + C1), C1 = 1e-4
  close(ssim(new Float64Array(121).fill(0.2), new Float64Array(121).fill(0.6), 11, 11), 0.2401 / 0.4001, 1e-12);
  // 1×1 window: per pixel (2ab + C1)(C2)/((a² + b² + C1)(C2))
  const s = ssim([0, 1, 0.5], [1, 1, 0.5], 1, 3, { windowSize: 1 });
  close(s, (1e-4 / 1.0001 + 1 + 1) / 3, 1e-12);
  // An image and its negative are far apart
  assert.ok(ssim(minMaxNormalize(img), minMaxNormalize(img.map((v) => -v)), 12, 12) < 0);
});

test('seeded Random: reproducible, standard normal moments, distinct samples', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
  const r = new Random(7);
  const g = Array.from({ length: 20000 }, () => r.gaussian());
  const m = g.reduce((s, v) => s + v, 0) / g.length;
  const v = g.reduce((s, x) => s + (x - m) ** 2, 0) / g.length;
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`);
  assert.ok(Math.abs(v - 1) < 0.04, `variance ${v}`);
  const sample = r.sample(10, 10);
  assert.deepEqual([...sample].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('ssim with skimage defaults (7×7 uniform window, sample covariance) on a 7×7 image by hand', async () => {
  const { SKIMAGE_SSIM_DEFAULTS } = await import('../../src/metrics/stats.js');
  const a = Array.from({ length: 49 }, (_, i) => (i % 5) / 4);
  const b = Array.from({ length: 49 }, (_, i) => ((i * 3) % 7) / 6);
  // one window position: plain means, variances and covariance with the 49/48 factor
  const m = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [m(a), m(b)];
  const va = (m(a.map((x) => x * x)) - ma * ma) * 49 / 48;
  const vb = (m(b.map((x) => x * x)) - mb * mb) * 49 / 48;
  const cov = (m(a.map((x, i) => x * b[i]!)) - ma * mb) * 49 / 48;
  const [c1, c2] = [1e-4, 9e-4];
  const expected = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  close(ssim(a, b, 7, 7, SKIMAGE_SSIM_DEFAULTS), expected, 1e-12);
  assert.ok(Math.abs(ssim(a, b, 7, 7) - expected) > 1e-6, 'the default (Gaussian, population) differs');
});
