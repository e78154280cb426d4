import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  attributionToMap,
  blendSigned,
  cumulativeSumThreshold,
  maskTopPercent,
  showCamOnImage,
} from '../../src/render/index.js';
import { LumenError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';

const close = (actual: ArrayLike<number>, expected: number[], eps = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= eps, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

// 2×2 RGB image: red, green / blue, mid-gray.
const tiny = { width: 2, height: 2, channels: 3 as const, data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]) };
const tinyMask = Float32Array.from([0, 0.25, 0.5, 1]);

test('showCamOnImage matches pytorch-grad-cam show_cam_on_image(use_rgb=True) on a hand-computed example', () => {
  // mask → jet entries 0, 63, 127, 255 = (0,0,128) (0,124,255) (126,255,130) (128,0,0).
  // cam = 0.5·heat/255 + 0.5·img/255; the largest value is pixel (0,1) blue: 0.5·130/255 + 0.5 = 0.754902.
  // pixel (0,0) red: 0.5 / 0.754902 · 255 = 168.9 → 168; blue: 0.25098 / 0.754902 · 255 = 84.8 → 84.
  const out = showCamOnImage(tiny, tinyMask);
  assert.deepEqual([out.width, out.height, out.channels], [2, 2, 3]);
  assert.deepEqual(Array.from(out.data), [168, 0, 84, 0, 251, 168, 83, 168, 255, 169, 84, 84]);
  // Same numbers as numpy/OpenCV give for image_weight=0.3.
  const light = showCamOnImage(tiny, tinyMask, { imageWeight: 0.3 });
  assert.deepEqual(Array.from(light.data), [109, 0, 128, 0, 233, 255, 126, 255, 239, 182, 54, 54]);
});

test('showCamOnImage accepts a float [0,1] image and a Tensor mask with the same result', () => {
  const float = { width: 2, height: 2, channels: 3 as const, data: Float32Array.from(tiny.data, (v) => v / 255) };
  const out = showCamOnImage(float, new Tensor(tinyMask, [1, 1, 2, 2]));
  assert.deepEqual(Array.from(out.data), [168, 0, 84, 0, 251, 168, 83, 168, 255, 169, 84, 84]);
});

test('showCamOnImage with imageWeight 0 is the normalised heatmap; errors like pytorch-grad-cam', () => {
  const out = showCamOnImage(tiny, tinyMask, { imageWeight: 0 });
  // heat only, divided by its max (255/255) → the jet bytes themselves.
  assert.deepEqual(Array.from(out.data), [0, 0, 128, 0, 124, 255, 126, 255, 130, 128, 0, 0]);
  assert.throws(() => showCamOnImage(tiny, tinyMask, { imageWeight: 1.5 }), LumenError);
  assert.throws(() => showCamOnImage(tiny, Float32Array.from([0, 1])), LumenError);
  const tooBright = { width: 1, height: 1, channels: 3 as const, data: Float32Array.from([2, 0, 0]) };
  assert.throws(() => showCamOnImage(tooBright, [0]), (e: unknown) => e instanceof LumenError && e.code === 'BAD_IMAGE');
});

test('cumulativeSumThreshold follows Captum: first sorted value where the running sum reaches p%', () => {
  const values = [10, 1, 4, 2, 3]; // sorted 1 2 3 4 10, running sums 1 3 6 10 20
  assert.equal(cumulativeSumThreshold(values, 99), 10); // needs 19.8
  assert.equal(cumulativeSumThreshold(values, 50), 4); // needs 10
  assert.equal(cumulativeSumThreshold(values, 25), 3); // needs 5
  assert.equal(cumulativeSumThreshold(values, 100), 10);
  assert.equal(cumulativeSumThreshold([0, 0], 99), 0);
});

test('attributionToMap scales by the percentile threshold and clips', () => {
  const attr = new Tensor(Float32Array.from([1, 2, 3, 4, 10]), [1, 1, 1, 5]);
  const m99 = attributionToMap(attr);
  assert.deepEqual([m99.width, m99.height, m99.signed, m99.scale], [5, 1, false, 10]);
  close(m99.data, [0.1, 0.2, 0.3, 0.4, 1]);
  const m50 = attributionToMap(attr, { clipPercentile: 50 });
  assert.equal(m50.scale, 4);
  close(m50.data, [0.25, 0.5, 0.75, 1, 1]);
});

test('attributionToMap channel reductions: abs-sum, abs-max, sum (|Σ|), positive, signed', () => {
  // 2 channels × 1×3 pixels: channel 0 = [1, -1, -3], channel 1 = [1, 1, 1].
  const attr = new Tensor(Float32Array.from([1, -1, -3, 1, 1, 1]), [2, 1, 3]);
  const p = { clipPercentile: 100 };
  close(attributionToMap(attr, { ...p, reduce: 'abs-sum' }).data, [2 / 4, 2 / 4, 1]); // [2, 2, 4]
  close(attributionToMap(attr, { ...p, reduce: 'abs-max' }).data, [1 / 3, 1 / 3, 1]); // [1, 1, 3]
  close(attributionToMap(attr, { ...p, reduce: 'sum' }).data, [1, 0, 1]); // |[2, 0, -2]|
  close(attributionToMap(attr, { ...p, reduce: 'positive' }).data, [1, 0, 0]); // [2, 0, 0]
  const signed = attributionToMap(attr, { ...p, reduce: 'signed' });
  assert.equal(signed.signed, true);
  close(signed.data, [1, 0, -1]);
});

test('attributionToMap signed: threshold on |Σ|, clip to [-1, 1]', () => {
  // |values| sorted 1 2 3 4 8, running sums 1 3 6 10 18; 50% → 9 → threshold 4.
  const attr = new Tensor(Float32Array.from([-8, 1, 2, 3, 4]), [5]).reshape([1, 5]);
  const m = attributionToMap(attr, { reduce: 'signed', clipPercentile: 50 });
  assert.equal(m.scale, 4);
  close(m.data, [-1, 0.25, 0.5, 0.75, 1]);
});

test('attributionToMap: NHWC layout, zero attribution, bad input', () => {
  const nchw = new Tensor(Float32Array.from([1, -1, -3, 1, 1, 1]), [1, 2, 1, 3]);
  const nhwc = new Tensor(Float32Array.from([1, 1, -1, 1, -3, 1]), [1, 1, 3, 2]);
  assert.deepEqual(
    Array.from(attributionToMap(nhwc, { layout: 'NHWC', reduce: 'sum' }).data),
    Array.from(attributionToMap(nchw, { reduce: 'sum' }).data),
  );
  const zero = attributionToMap(Tensor.zeros([1, 3, 2, 2]));
  assert.equal(zero.scale, 0);
  assert.deepEqual(Array.from(zero.data), [0, 0, 0, 0]);
  const withNaN = attributionToMap(new Tensor(Float32Array.from([Number.NaN, 2, Infinity, 4]), [2, 2]), { clipPercentile: 100 });
  close(withNaN.data, [0, 0.5, 0, 1]);
  assert.throws(() => attributionToMap(Tensor.zeros([2, 3, 2, 2])), LumenError);
  assert.throws(() => attributionToMap(Tensor.zeros([1, 3, 2, 2]), { clipPercentile: 120 }), LumenError);
  const badReduce = { reduce: 'mean' } as unknown as { reduce: 'sum' };
  assert.throws(() => attributionToMap(Tensor.zeros([1, 3, 2, 2]), badReduce), /reduce must be one of/);
});

test('maskTopPercent keeps exactly the top x% and zeroes the rest', () => {
  const map = Float32Array.from([0.1, 0.9, 0.5, 0.7, 0.2, 0.3, 0.8, 0.4, 0.6, 0.0]);
  assert.deepEqual(Array.from(maskTopPercent(map, 30)), [0, 0.9, 0, 0.7, 0, 0, 0.8, 0, 0, 0].map(Math.fround));
  assert.deepEqual(Array.from(maskTopPercent(map, 0)), new Array(10).fill(0));
  assert.deepEqual(Array.from(maskTopPercent(map, 100)), Array.from(map));
  // ties: pixel order decides; by magnitude for signed maps.
  assert.deepEqual(Array.from(maskTopPercent([1, 1, 1, 0], 50)), [1, 1, 0, 0]);
  assert.deepEqual(Array.from(maskTopPercent([-0.9, 0.5, 0.1, -0.2], 25, { byMagnitude: true })), [Math.fround(-0.9), 0, 0, 0]);
  assert.deepEqual(Array.from(maskTopPercent([3, 2, 1, 0], 50, { fill: -1 })), [3, 2, -1, -1]);
  assert.throws(() => maskTopPercent(map, -5), LumenError);
});

test('blendSigned: zero keeps the image, ±1 gives the colormap ends at full opacity', () => {
  const image = { width: 3, height: 1, channels: 3 as const, data: Uint8Array.from([100, 100, 100, 100, 100, 100, 100, 100, 100]) };
  const full = blendSigned(image, [-1, 0, 1], { opacity: 1 });
  assert.deepEqual(Array.from(full.data), [0, 0, 255, 100, 100, 100, 255, 0, 0]);
  // default opacity 0.8, value 0.5 → weight 0.4 on bwr entry uint8(255·0.75) = 191 = (255,128,128):
  // 0.6·100 + 0.4·255 = 162, 0.6·100 + 0.4·128 = 111.2 → 111.
  const half = blendSigned(image, [0, 0, 0.5]);
  assert.deepEqual(Array.from(half.data.subarray(6)), [162, 111, 111]);
  // Captum-like: constant 0.5 over gray; value 0 → bwr entry 127 (254,254,255).
  const constant = blendSigned(image, [0, 0, 0], { mode: 'constant', opacity: 0.5, grayscale: true });
  assert.deepEqual(Array.from(constant.data.subarray(0, 3)), [177, 177, 178]);
  assert.throws(() => blendSigned(image, [0, 0], {}), LumenError);
});
