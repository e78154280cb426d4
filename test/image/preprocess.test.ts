import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LumenError } from '../../src/errors.js';
import {
  centerCrop,
  fitImage,
  imagesToBatch,
  resizeShorterSide,
  imageToTensor,
  resizeBilinear,
  tensorToImage,
  toGrayscale,
  toRgb,
} from '../../src/image/preprocess.js';
import type { RawImage } from '../../src/image/types.js';
import { npyToTensor } from '../../src/io/npy.js';
import { readImageFile } from '../../src/node/image-file.js';
import { Tensor } from '../../src/tensor.js';

const INPUTS = new URL('../../conformance/inputs/', import.meta.url);
const FMNIST = { mean: [0.286], std: [0.353] };
const f32 = Math.fround;

function image(width: number, height: number, channels: 1 | 3 | 4, values: readonly number[]): RawImage {
  return { width, height, channels, data: Uint8Array.from(values) };
}

function compare(actual: Tensor, expected: Tensor): { maxDiff: number; differing: number } {
  assert.deepEqual(actual.dims, expected.dims);
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < expected.size; i++) {
    const d = Math.abs(actual.data[i]! - expected.data[i]!);
    maxDiff = Math.max(maxDiff, d);
    if (d !== 0) differing++;
  }
  return { maxDiff, differing };
}

for (const name of ['fmnist_test0000', 'fmnist_test0001', 'fmnist_test0002', 'fmnist_test0004', 'fmnist_test0006', 'fmnist_test0008']) {
  test(`reference tensor: ${name}.png with mean 0.2860 / std 0.3530 equals ${name}.npy`, async () => {
    const img = await readImageFile(new URL(`${name}.png`, INPUTS).pathname);
    assert.equal(img.channels, 1);
    const tensor = imageToTensor(img, { width: 28, height: 28, channels: 1, normalization: FMNIST });
    const { maxDiff, differing } = compare(tensor, npyToTensor(readFileSync(new URL(`${name}.npy`, INPUTS))));
    assert.ok(maxDiff <= 1e-6, `max diff ${maxDiff}`);
    // torchvision's float32 ToTensor + Normalize, reproduced step by step: bit-identical.
    assert.equal(differing, 0);
  });
}

test('reference tensor: chelsea64.png with ImageNet normalization equals chelsea64.npy', async () => {
  const img = await readImageFile(new URL('chelsea64.png', INPUTS).pathname);
  const tensor = imageToTensor(img, { width: 64, height: 64, channels: 3, normalization: 'imagenet' });
  const { maxDiff, differing } = compare(tensor, npyToTensor(readFileSync(new URL('chelsea64.npy', INPUTS))));
  assert.ok(maxDiff <= 1e-6, `max diff ${maxDiff}`);
  assert.equal(differing, 0);
  // And back: denormalizing gives the PNG's pixels exactly.
  assert.deepEqual(tensorToImage(tensor, 'imagenet').data, img.data);
});

test('normalization presets and custom values', () => {
  const img = image(3, 1, 1, [0, 128, 255]);
  const opts = { width: 3, height: 1, channels: 1 as const };
  assert.deepEqual([...imageToTensor(img, { ...opts, normalization: 'none' }).data], [0, 128, 255]);
  assert.deepEqual([...imageToTensor(img, { ...opts, normalization: 'unit' }).data], [0, f32(128 / 255), 1]);
  const custom = imageToTensor(img, { ...opts, normalization: { mean: [0.5], std: [0.25] } }).data;
  assert.deepEqual([...custom], [-2, f32((f32(128 / 255) - 0.5) / 0.25), 2]);
  // ImageNet on an RGB pixel (0, 128, 255): (u/255 − mean[c]) / std[c].
  const rgb = imageToTensor(image(1, 1, 3, [0, 128, 255]), { width: 1, height: 1, channels: 3, normalization: 'imagenet' }).data;
  const expected = [(0 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (1 - 0.406) / 0.225];
  expected.forEach((e, c) => assert.ok(Math.abs(rgb[c]! - e) < 1e-6, `channel ${c}: ${rgb[c]} vs ${e}`));
  assert.ok(Math.abs(rgb[0]! - -2.1179039) < 1e-6);
});

test('raw values ("none") cover all 256 levels exactly and invert exactly', () => {
  const img = image(256, 1, 1, Array.from({ length: 256 }, (_, i) => i));
  const t = imageToTensor(img, { width: 256, height: 1, channels: 1, normalization: 'none' });
  assert.deepEqual([...t.data], Array.from({ length: 256 }, (_, i) => i));
  assert.deepEqual(tensorToImage(t, 'none').data, img.data);
  for (const spec of ['unit', 'imagenet', FMNIST] as const) {
    const t2 = imageToTensor(img, { width: 256, height: 1, channels: 1, normalization: spec === 'imagenet' ? { mean: [0.485], std: [0.229] } : spec });
    assert.deepEqual(tensorToImage(t2, spec === 'imagenet' ? { mean: [0.485], std: [0.229] } : spec).data, img.data);
  }
});

test('NHWC layout holds the same numbers as NCHW, transposed', () => {
  const img = image(2, 2, 3, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  const base = { width: 2, height: 2, channels: 3 as const, normalization: 'unit' as const };
  const nchw = imageToTensor(img, base);
  const nhwc = imageToTensor(img, { ...base, layout: 'NHWC' });
  assert.deepEqual(nchw.dims, [1, 3, 2, 2]);
  assert.deepEqual(nhwc.dims, [1, 2, 2, 3]);
  // NHWC is the HWC pixel order itself.
  assert.deepEqual([...nhwc.data], [...img.data].map((u) => f32(u / 255)));
  for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) assert.equal(nchw.data[c * 4 + i], nhwc.data[i * 3 + c]);
  assert.deepEqual(tensorToImage(nhwc, 'unit', 'NHWC').data, img.data);
  assert.deepEqual(tensorToImage(nchw, 'unit', 'NCHW').data, img.data);
});

test('imagesToBatch stacks images along the first axis', () => {
  const a = image(2, 1, 1, [0, 255]);
  const b = image(2, 1, 1, [51, 102]);
  const batch = imagesToBatch([a, b], { width: 2, height: 1, channels: 1, normalization: 'unit' });
  assert.deepEqual(batch.dims, [2, 1, 1, 2]);
  assert.deepEqual([...batch.data], [0, 1, f32(0.2), f32(0.4)]);
  assert.throws(() => imagesToBatch([], { width: 2, height: 1, channels: 1, normalization: 'unit' }), { code: 'INPUT_SHAPE' });
});

test('toGrayscale rounds ITU-R 601 luma as PIL convert("L")', () => {
  const px = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 100, 150, 200, 1, 1, 1];
  // 0.299·100 + 0.587·150 + 0.114·200 = 140.75 → 141 (rounded, not truncated).
  assert.deepEqual([...toGrayscale(image(6, 1, 3, px)).data], [76, 150, 29, 255, 141, 1]);
  // Alpha is ignored.
  assert.deepEqual([...toGrayscale(image(1, 1, 4, [100, 150, 200, 0])).data], [141]);
});

test('toRgb copies gray into three channels and drops alpha', () => {
  assert.deepEqual([...toRgb(image(2, 1, 1, [7, 200])).data], [7, 7, 7, 200, 200, 200]);
  assert.deepEqual([...toRgb(image(1, 1, 4, [1, 2, 3, 4])).data], [1, 2, 3]);
  // A gray image survives RGB → gray.
  assert.deepEqual([...toGrayscale(toRgb(image(3, 1, 1, [0, 99, 255]))).data], [0, 99, 255]);
});

test('centerCrop offset is floor((size − crop)/2)', () => {
  const row = image(5, 1, 1, [0, 1, 2, 3, 4]);
  assert.deepEqual([...centerCrop(row, 2, 1).data], [1, 2]); // floor((5−2)/2) = 1
  assert.deepEqual([...centerCrop(image(7, 1, 1, [0, 1, 2, 3, 4, 5, 6]), 2, 1).data], [2, 3]); // floor(2.5) = 2
  assert.deepEqual([...centerCrop(image(6, 1, 1, [0, 1, 2, 3, 4, 5]), 2, 1).data], [2, 3]); // 2
  // torchvision's offsets: int(round(1.5)) = 2, int(round(2.5)) = 2, int(round(3.5)) = 4.
  assert.deepEqual([...centerCrop(row, 2, 1, { offset: 'torchvision' }).data], [2, 3]);
  assert.deepEqual([...centerCrop(image(7, 1, 1, [0, 1, 2, 3, 4, 5, 6]), 2, 1, { offset: 'torchvision' }).data], [2, 3]);
  assert.deepEqual([...centerCrop(image(9, 1, 1, [0, 1, 2, 3, 4, 5, 6, 7, 8]), 2, 1, { offset: 'torchvision' }).data], [4, 5]);
  const col = centerCrop(image(1, 4, 3, [...Array(12).keys()]), 1, 2);
  assert.deepEqual([col.width, col.height, ...col.data], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('resizeBilinear upscaling is half-pixel bilinear with PIL rounding', () => {
  // Sources 0.25 → 0, 0.75 → 0.25, 1.25 → 0.75, 1.75 → 1 (border pixels repeated); 12.5 and 17.5 round up.
  assert.deepEqual([...resizeBilinear(image(2, 1, 1, [10, 20]), 4, 1).data], [10, 13, 18, 20]);
  assert.deepEqual([...resizeBilinear(image(2, 1, 1, [0, 100]), 4, 1).data], [0, 25, 75, 100]);
  const two = resizeBilinear(image(2, 2, 1, [0, 100, 100, 200]), 4, 4);
  assert.deepEqual([...two.data], [0, 25, 75, 100, 25, 50, 100, 125, 75, 100, 150, 175, 100, 125, 175, 200]);
});

test('resizeBilinear: antialiased shrink keeps a constant image constant and averages a checkerboard', () => {
  const constant = resizeBilinear(image(10, 7, 3, new Array<number>(210).fill(123)), 3, 2);
  assert.deepEqual([constant.width, constant.height, constant.channels], [3, 2, 3]);
  assert.ok(constant.data.every((v) => v === 123));

  const board = image(9, 9, 1, Array.from({ length: 81 }, (_, i) => ((i % 9) + Math.floor(i / 9)) % 2 === 1 ? 255 : 0));
  // Without antialiasing a 3× shrink samples pixels 1, 4, 7: the checkerboard aliases to pure black/white.
  const sampled = resizeBilinear(board, 3, 3, { antialias: false });
  assert.deepEqual([...sampled.data], [0, 255, 0, 255, 0, 255, 0, 255, 0]);
  // With it, the triangle filter spans 6 pixels (weights 1,2,3,2,1 / 9): the centre becomes 126, near the mean 127.5.
  const smooth = resizeBilinear(board, 3, 3);
  assert.equal(smooth.data[4], 126);
  for (const v of smooth.data) assert.ok(v > 90 && v < 165, `pixel ${v} not averaged`);

  // A 2× shrink of a 1-px checkerboard: interior pixels average to exactly 128 (127.5 rounded up).
  const board8 = image(8, 8, 1, Array.from({ length: 64 }, (_, i) => ((i % 8) + Math.floor(i / 8)) % 2 === 1 ? 255 : 0));
  const half = resizeBilinear(board8, 4, 4);
  for (const [x, y] of [[1, 1], [1, 2], [2, 1], [2, 2]] as const) assert.equal(half.data[y * 4 + x], 128);
});

test('fitImage: center-crop keeps the centre, stretch squeezes everything in, none refuses another size', () => {
  // 6×4 with bright first and last columns: the 4×4 centre crop has none of them.
  const img = image(6, 4, 1, Array.from({ length: 24 }, (_, i) => (i % 6 === 0 || i % 6 === 5 ? 255 : 0)));
  const cropped = fitImage(img, { width: 2, height: 2, resize: 'center-crop' });
  assert.deepEqual([...cropped.data], [0, 0, 0, 0]);
  const stretched = fitImage(img, { width: 2, height: 2, resize: 'stretch' });
  assert.ok(stretched.data[0]! > 0 && stretched.data[1]! > 0, `stretched ${[...stretched.data]}`);
  assert.throws(
    () => imageToTensor(img, { width: 28, height: 28, channels: 1, normalization: 'unit', resize: 'none' }),
    (e: unknown) => e instanceof LumenError && e.code === 'INPUT_SHAPE' && /6×4/.test(e.message) && /28×28/.test(e.message),
  );
  // Same size with resize 'none' is fine.
  assert.deepEqual(imageToTensor(img, { width: 6, height: 4, channels: 1, normalization: 'unit', resize: 'none' }).dims, [1, 1, 4, 6]);
});

test('usage errors: normalization length, tensor shape, sizes', () => {
  const img = image(1, 1, 3, [1, 2, 3]);
  assert.throws(() => imageToTensor(img, { width: 1, height: 1, channels: 3, normalization: { mean: [0, 0], std: [1] } }), {
    code: 'BAD_OPTION',
    message: /mean has 2 values but the model takes 3-channel images/,
  });
  assert.throws(() => tensorToImage(Tensor.zeros([1, 2, 4, 4]), 'unit'), { code: 'INPUT_SHAPE', message: /2-channel/ });
  assert.throws(() => tensorToImage(Tensor.zeros([2, 3, 4, 4]), 'unit'), { code: 'INPUT_SHAPE', message: /\[2, 3, 4, 4\]/ });
  assert.throws(() => resizeBilinear(img, 0, 3), { code: 'BAD_OPTION' });
  assert.throws(() => imageToTensor({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, { width: 2, height: 2, channels: 3, normalization: 'unit' }), {
    code: 'BAD_IMAGE',
  });
});

test('resizeShorterSide: the shorter side becomes the size, the longer one is truncated (torchvision Resize(int))', () => {
  const wide = resizeShorterSide(image(451, 300, 1, new Array<number>(451 * 300).fill(9)), 74);
  assert.deepEqual([wide.width, wide.height], [111, 74]); // int(74 · 451 / 300) = int(111.25)
  const tall = resizeShorterSide(image(3, 10, 1, new Array<number>(30).fill(9)), 4);
  assert.deepEqual([tall.width, tall.height], [4, 13]); // int(4 · 10 / 3) = int(13.33)
  assert.throws(() => fitImage(image(4, 4, 1, new Array<number>(16).fill(0)), { width: 8, height: 8, resize: 'center-crop', resizeShorter: 6 }), {
    code: 'BAD_OPTION',
  });
});
