import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nearestIndices, resizeMapBilinear, resizeMapBilinearAlignCorners, resizeMapNearest } from '../../src/image/resize-map.js';

function close(actual: Float32Array, expected: readonly number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `index ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

test('cv2 bilinear: 2×2 → 4×4 (cv2.resize(INTER_LINEAR) values, borders clamped)', () => {
  const out = resizeMapBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4);
  // Per axis the source coordinate is (d + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped to 0, 0.25, 0.75, 1.
  close(out, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
});

test('cv2 bilinear: 2×2 → 3×3 on a one-hot map', () => {
  // Source coordinates (d + 0.5)·2/3 − 0.5 = −1/6 → 0, 0.5, 7/6 → 1: weights of pixel 0 are 1, 0.5, 0 per axis.
  const out = resizeMapBilinear(Float32Array.from([1, 0, 0, 0]), 2, 2, 3, 3);
  close(out, [1, 0.5, 0, 0.5, 0.25, 0, 0, 0, 0]);
});

test('cv2 bilinear: downscaling samples without antialiasing', () => {
  // 4 → 2: sources 0.5 and 2.5.
  close(resizeMapBilinear(Float32Array.from([0, 1, 2, 3]), 4, 1, 2, 1), [0.5, 2.5]);
  // 3 → 2: sources 0.25 and 1.75.
  close(resizeMapBilinear(Float32Array.from([0, 10, 20]), 3, 1, 2, 1), [2.5, 17.5]);
  // 9 → 3 on a 1-px stripe pattern hits pixels 1, 4, 7 exactly: no averaging.
  const stripes = Float32Array.from({ length: 9 }, (_, i) => i % 2);
  close(resizeMapBilinear(stripes, 9, 1, 3, 1), [1, 0, 1]);
});

test('cv2 bilinear: 7×7 → 28×28 (CAM upsampling) reproduces a linear ramp, clamped at the borders', () => {
  const map = new Float32Array(49);
  for (let y = 0; y < 7; y++) for (let x = 0; x < 7; x++) map[y * 7 + x] = x + 10 * y;
  const out = resizeMapBilinear(map, 7, 7, 28, 28);
  const expected: number[] = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) expected.push(clamp((x + 0.5) / 4 - 0.5, 0, 6) + 10 * clamp((y + 0.5) / 4 - 0.5, 0, 6));
  }
  close(out, expected, 1e-5);
  // Spot values: the first two columns repeat column 0, then 0.125 steps begin.
  assert.deepEqual([...out.subarray(0, 4)], [0, 0, 0.125, 0.375]);
  assert.equal(out[27], 6);
});

test('cv2 bilinear: non-integer scale 5×3 → 13×8 on a ramp', () => {
  const map = new Float32Array(15);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) map[y * 5 + x] = 2 * x - 3 * y;
  const out = resizeMapBilinear(map, 5, 3, 13, 8);
  const expected: number[] = [];
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 13; x++) expected.push(2 * clamp(((x + 0.5) * 5) / 13 - 0.5, 0, 4) - 3 * clamp(((y + 0.5) * 3) / 8 - 0.5, 0, 2));
  }
  close(out, expected, 1e-5);
});

test('cv2 bilinear: same size is the identity, 1×1 input broadcasts', () => {
  const map = Float32Array.from([0.1, -2, 3.5, 7, 1e-3, 42]);
  close(resizeMapBilinear(map, 3, 2, 3, 2), [...map]);
  close(resizeMapBilinear(Float32Array.from([5]), 1, 1, 3, 2), [5, 5, 5, 5, 5, 5]);
});

test('torch nearest: src = floor(dst · in/out)', () => {
  close(resizeMapNearest(Float32Array.from([1, 2]), 2, 1, 5, 1), [1, 1, 1, 2, 2]);
  close(resizeMapNearest(Float32Array.from([1, 2, 3]), 3, 1, 2, 1), [1, 2]);
  assert.deepEqual([...nearestIndices(7, 28)], Array.from({ length: 28 }, (_, i) => i >> 2));
  assert.deepEqual([...nearestIndices(7, 224)], Array.from({ length: 224 }, (_, i) => i >> 5));
  assert.deepEqual([...nearestIndices(5, 3)], [0, 1, 3]);
  // 2-D: rows and columns independently.
  close(resizeMapNearest(Float32Array.from([1, 2, 3, 4]), 2, 2, 4, 3), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4]);
});

test('torch align_corners bilinear: corners map to corners', () => {
  close(resizeMapBilinearAlignCorners(Float32Array.from([0, 1, 2, 3]), 2, 2, 3, 3), [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  close(resizeMapBilinearAlignCorners(Float32Array.from([0, 4, 8]), 3, 1, 5, 1), [0, 2, 4, 6, 8]);
  // 2 → 4: sources 0, 1/3, 2/3, 1.
  close(resizeMapBilinearAlignCorners(Float32Array.from([0, 3]), 2, 1, 4, 1), [0, 1, 2, 3]);
  // Output size 1 takes the first pixel.
  close(resizeMapBilinearAlignCorners(Float32Array.from([7, 9]), 2, 1, 1, 1), [7]);
  // Shrinking 5 → 3: sources 0, 2, 4.
  close(resizeMapBilinearAlignCorners(Float32Array.from([1, 2, 3, 4, 5]), 5, 1, 3, 1), [1, 3, 5]);
});

test('map resizes reject a map whose length does not match its size', () => {
  assert.throws(() => resizeMapBilinear(new Float32Array(5), 2, 2, 4, 4), /5 values, expected 2×2 = 4/);
  assert.throws(() => resizeMapNearest(new Float32Array(4), 2, 2, 0, 4), /outW must be a positive integer/);
});
