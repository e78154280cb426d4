import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fitImage, resizeBilinear, toGrayscale } from '../../src/image/preprocess.js';
import { resizeMapBilinear, resizeMapBilinearAlignCorners, resizeMapNearest } from '../../src/image/resize-map.js';
import { parseNpy } from '../../src/io/npy.js';
import { readImageFile } from '../../src/node/image-file.js';

// Outputs of PIL 9.4, OpenCV 4.6 and torch 1.13 on random inputs (see test/fixtures/image/README.md).
const FIXTURES = new URL('../fixtures/image/', import.meta.url);
const load = (name: string) => parseNpy(readFileSync(new URL(name, FIXTURES)));
const names = readdirSync(FIXTURES);

test('resizeBilinear equals PIL Image.resize(BILINEAR) bit for bit (L, RGB, RGBA; shrink, enlarge, mixed)', () => {
  const cases = names.filter((n) => /^pil_(L|RGB|RGBA)_.*_in\.npy$/.test(n));
  assert.equal(cases.length, 9);
  for (const name of cases) {
    const input = load(name);
    const expected = load(name.replace('_in.npy', '_out.npy'));
    const [h, w, c = 1] = input.shape as [number, number, number?];
    const out = resizeBilinear({ width: w, height: h, channels: c as 1 | 3 | 4, data: input.data as Uint8Array }, expected.shape[1]!, expected.shape[0]!);
    let differing = 0;
    for (let i = 0; i < out.data.length; i++) if (out.data[i] !== expected.data[i]) differing++;
    assert.equal(out.data.length, expected.data.length, name);
    assert.equal(differing, 0, `${name}: ${differing} pixels differ from PIL`);
  }
});

test('toGrayscale equals PIL convert("L")', () => {
  const input = load('pil_gray_in.npy');
  const out = toGrayscale({ width: 16, height: 16, channels: 3, data: input.data as Uint8Array });
  assert.deepEqual([...out.data], [...(load('pil_gray_out.npy').data as Uint8Array)]);
});

test('center-crop + resize of chelsea.png reproduces conformance/inputs/chelsea64.png exactly', async () => {
  const big = await readImageFile(new URL('chelsea.png', FIXTURES).pathname);
  assert.deepEqual([big.width, big.height, big.channels], [451, 300, 3]);
  const small = await readImageFile(new URL('../../conformance/inputs/chelsea64.png', import.meta.url).pathname);
  const fitted = fitImage(big, { width: 64, height: 64, resize: 'center-crop' });
  let differing = 0;
  for (let i = 0; i < fitted.data.length; i++) if (fitted.data[i] !== small.data[i]) differing++;
  assert.equal(differing, 0);
});

function mapStats(actual: Float32Array, expected: Float32Array): { maxDiff: number; identical: number } {
  assert.equal(actual.length, expected.length);
  let maxDiff = 0;
  let identical = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    maxDiff = Math.max(maxDiff, d);
    if (d === 0) identical++;
  }
  return { maxDiff, identical: identical / actual.length };
}

const MAP_CASES = names.filter((n) => /^map_.*_in\.npy$/.test(n));

/** Resizes the map case `name` (…_in.npy) with `resize` to the size of its reference (`name` with '_in' → `reference`). */
function resizedMapStats(name: string, reference: string, resize: typeof resizeMapBilinear): { maxDiff: number; identical: number } {
  const input = load(name);
  const expected = load(name.replace('_in', reference));
  const [h, w] = input.shape as [number, number];
  const [oh, ow] = expected.shape as [number, number];
  return mapStats(resize(input.data as Float32Array, w, h, ow, oh), expected.data as Float32Array);
}

test('resizeMapBilinear equals cv2.resize INTER_LINEAR (float32 sums: ≥ 98% identical, the rest 1 ulp)', () => {
  assert.equal(MAP_CASES.length, 5);
  for (const name of MAP_CASES) {
    const { maxDiff, identical } = resizedMapStats(name, '_cv2', resizeMapBilinear);
    assert.ok(maxDiff <= 2.4e-7, `${name}: max diff ${maxDiff}`);
    assert.ok(identical >= 0.98, `${name}: only ${identical} identical`);
  }
});

test('resizeMapNearest equals torch F.interpolate(mode="nearest") exactly', () => {
  for (const name of MAP_CASES) {
    const { maxDiff } = resizedMapStats(name, '_nearest', resizeMapNearest);
    assert.equal(maxDiff, 0, name);
  }
});

test('resizeMapBilinearAlignCorners equals torch UpsamplingBilinear2d within a few ulp', () => {
  for (const name of MAP_CASES) {
    const { maxDiff } = resizedMapStats(name, '_aligncorners', resizeMapBilinearAlignCorners);
    assert.ok(maxDiff <= 1e-6, `${name}: max diff ${maxDiff}`);
  }
});

test('JPEG decoding equals PIL (4:2:0 colour and grayscale)', async () => {
  for (const [name, channels] of [['chelsea_crop_420', 3], ['chelsea_crop_gray', 1]] as const) {
    const img = await readImageFile(new URL(`${name}.jpg`, FIXTURES).pathname);
    const expected = load(`${name}_pil.npy`);
    assert.deepEqual([img.height, img.width, img.channels], [64, 96, channels]);
    assert.deepEqual(expected.shape.slice(0, 2), [64, 96]);
    let differing = 0;
    for (let i = 0; i < img.data.length; i++) if (img.data[i] !== expected.data[i]) differing++;
    assert.equal(differing, 0, `${name}: ${differing} values differ from PIL`);
  }
});

test('resizeShorter + center-crop equals torchvision Resize(74), CenterCrop(64) on a PIL image', async () => {
  const big = await readImageFile(new URL('chelsea.png', FIXTURES).pathname);
  const expected = load('chelsea_resize74_crop64.npy');
  const fitted = fitImage(big, { width: 64, height: 64, resize: 'center-crop', resizeShorter: 74 });
  assert.deepEqual([fitted.width, fitted.height], [64, 64]);
  let differing = 0;
  for (let i = 0; i < fitted.data.length; i++) if (fitted.data[i] !== expected.data[i]) differing++;
  assert.equal(differing, 0);
  // The same image with a floor offset (one column to the left) is not it: the rounding is checked.
  const shifted = fitImage(big, { width: 65, height: 64, resize: 'center-crop', resizeShorter: 74 });
  let same = 0;
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64 * 3; x++) if (shifted.data[y * 65 * 3 + x] === expected.data[y * 64 * 3 + x]) same++;
  assert.ok(same < fitted.data.length * 0.9, `${same} equal values`);
});

test('an ICC-tagged (Display P3) PNG decodes to its stored values, as PIL, not colour-managed', async () => {
  const img = await readImageFile(new URL('display-p3-tagged.png', FIXTURES).pathname);
  assert.deepEqual([...img.data], [234, 51, 34, 117, 251, 76, 0, 0, 245, 192, 152, 107]);
});
