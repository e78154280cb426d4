import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLORMAP_NAMES, applyColormap, colormap, colormapImage, colormapIndex } from '../../src/render/index.js';
import { LumenError } from '../../src/errors.js';

const entry = (name: string, i: number): number[] => Array.from(colormap(name).subarray(i * 3, i * 3 + 3));

test('every colormap is a 256-entry RGB table', () => {
  for (const name of COLORMAP_NAMES) assert.equal(colormap(name).length, 768, name);
});

test('jet equals OpenCV COLORMAP_JET (cv2.applyColorMap on the 0..255 ramp, BGR→RGB; OpenCV 4.6)', () => {
  const golden: Record<number, number[]> = {
    0: [0, 0, 128],
    1: [0, 0, 132],
    32: [0, 0, 255],
    63: [0, 124, 255],
    64: [0, 128, 255],
    96: [2, 255, 254],
    127: [126, 255, 130],
    128: [130, 255, 126],
    160: [255, 252, 0],
    192: [255, 124, 0],
    224: [252, 0, 0],
    254: [132, 0, 0],
    255: [128, 0, 0],
  };
  for (const [i, rgb] of Object.entries(golden)) assert.deepEqual(entry('jet', Number(i)), rgb, `jet[${i}]`);
});

test('sequential maps: endpoints and midpoint equal the published tables (rounded to bytes)', () => {
  // viridis #440154 … #fde725, inferno #000004 … #fcffa4, magma #000004 … #fcfdbf; turbo = Google's byte table.
  const golden: Record<string, [number[], number[], number[]]> = {
    viridis: [[68, 1, 84], [33, 145, 140], [253, 231, 37]],
    inferno: [[0, 0, 4], [188, 55, 84], [252, 255, 164]],
    magma: [[0, 0, 4], [183, 55, 121], [252, 253, 191]],
    turbo: [[48, 18, 59], [164, 252, 60], [122, 4, 3]],
  };
  for (const [name, [first, mid, last]] of Object.entries(golden)) {
    assert.deepEqual(entry(name, 0), first, `${name}[0]`);
    assert.deepEqual(entry(name, 128), mid, `${name}[128]`);
    assert.deepEqual(entry(name, 255), last, `${name}[255]`);
  }
  assert.deepEqual(entry('turbo', 64), [40, 188, 235]);
  assert.deepEqual(entry('viridis', 64), [59, 82, 139]);
});

test('diverging maps: ends and near-neutral middle (matplotlib bwr, RdBu)', () => {
  assert.deepEqual(entry('bwr', 0), [0, 0, 255]);
  assert.deepEqual(entry('bwr', 127), [254, 254, 255]);
  assert.deepEqual(entry('bwr', 128), [255, 254, 254]);
  assert.deepEqual(entry('bwr', 255), [255, 0, 0]);
  assert.deepEqual(entry('RdBu', 0), [103, 0, 31]);
  assert.deepEqual(entry('RdBu', 128), [246, 247, 247]);
  assert.deepEqual(entry('RdBu', 255), [5, 48, 97]);
  assert.deepEqual(entry('gray', 77), [77, 77, 77]);
});

test('whole tables: checksums computed from OpenCV 4.6 LUTs (jet, turbo, viridis, inferno, magma) and matplotlib (bwr, RdBu)', () => {
  // [Σ bytes, Σ (k+1)·byte_k] over the 768 bytes, from cv2.applyColorMap on the 0..255 ramp (BGR→RGB) and
  // round(255·matplotlib) — catches any edited, swapped or shifted entry.
  const golden: Record<string, [number, number]> = {
    jet: [93631, 36001024],
    turbo: [100111, 36829427],
    viridis: [84586, 37129336],
    inferno: [80870, 39727726],
    magma: [90119, 44836888],
    bwr: [130304, 50101888],
    RdBu: [119576, 46776222],
  };
  for (const [name, [sum, weighted]] of Object.entries(golden)) {
    const lut = colormap(name);
    let s = 0;
    let w = 0;
    lut.forEach((v, k) => {
      s += v;
      w += (k + 1) * v;
    });
    assert.deepEqual([s, w], [sum, weighted], name);
  }
});

test('colormapIndex truncates like np.uint8(255 * x), clips, and sends NaN to 0', () => {
  assert.equal(colormapIndex(0), 0);
  assert.equal(colormapIndex(0.5), 127);
  assert.equal(colormapIndex(0.999), 254);
  assert.equal(colormapIndex(1), 255);
  assert.equal(colormapIndex(1.7), 255);
  assert.equal(colormapIndex(-0.2), 0);
  assert.equal(colormapIndex(Number.NaN), 0);
  assert.equal(colormapIndex(0, -1, 1), 127);
  assert.equal(colormapIndex(1, -1, 1), 255);
  // float32 like numpy: every k/255 (as float32) lands on k.
  for (let k = 0; k < 256; k++) assert.equal(colormapIndex(Math.fround(k / 255)), k);
});

test('applyColormap maps each value to 3 bytes', () => {
  const out = applyColormap(Float32Array.from([0, 0.5, 1]), 'jet');
  assert.deepEqual(Array.from(out), [0, 0, 128, 126, 255, 130, 128, 0, 0]);
  const signed = applyColormap([-1, 0, 1], 'bwr', { min: -1, max: 1 });
  assert.deepEqual(Array.from(signed), [0, 0, 255, 254, 254, 255, 255, 0, 0]);
  const img = colormapImage([0, 1], 2, 1, 'viridis');
  assert.deepEqual([img.width, img.height, img.channels], [2, 1, 3]);
  assert.deepEqual(Array.from(img.data), [68, 1, 84, 253, 231, 37]);
});

test('unknown colormap and bad ranges are user errors', () => {
  assert.throws(() => colormap('jett'), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /jet/.test(e.message));
  assert.throws(() => applyColormap([0], 'jet', { min: 1, max: 1 }), LumenError);
  assert.throws(() => colormapImage([0, 1, 2], 2, 1), LumenError);
});
