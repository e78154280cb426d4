import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactLabels, gridSegments, rgbToLab, slic } from '../../../src/methods/perturbation/segmentation.js';
import { readFileSync } from 'node:fs';
import { readNpy } from './helpers.js';

/** Every label forms one 4-connected region. */
function isConnected(labels: Int32Array, H: number, W: number, count: number): boolean {
  const seen = new Uint8Array(H * W);
  const found = new Uint8Array(count);
  for (let start = 0; start < H * W; start++) {
    if (seen[start]) continue;
    const l = labels[start]!;
    if (found[l]) return false; // a second component of the same label
    found[l] = 1;
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const p = stack.pop()!;
      const y = Math.floor(p / W);
      const x = p % W;
      for (const [yy, xx] of [[y + 1, x], [y - 1, x], [y, x + 1], [y, x - 1]] as const) {
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        const q = yy * W + xx;
        if (!seen[q] && labels[q] === l) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
  }
  return found.every((f) => f === 1);
}

test('rgbToLab equals skimage.color.rgb2lab (0.19.3) on reference colours', () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1], [100, -0.00245494, 0.00465342]],
    [[1, 0, 0], [53.2405879, 80.0923082, 67.202751]],
    [[0, 1, 0], [87.7350995, -86.1830297, 83.1797032]],
    [[0, 0, 1], [32.2956726, 79.1855909, -107.8573]],
    [[0, 0, 0], [0, 0, 0]],
  ];
  for (const [rgb, lab] of cases) {
    const out = rgbToLab(Float32Array.from(rgb), 1);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(out[i]! - lab[i]!) < 1e-4, `${rgb} → ${Array.from(out)} (want ${lab})`);
  }
});

test('grid segmentation: row-major cells, remainder in the last ones', () => {
  const { labels, count } = gridSegments(5, 7, 2, 3);
  assert.equal(count, 6);
  assert.deepEqual(Array.from(labels.subarray(0, 7)), [0, 0, 0, 1, 1, 2, 2]);
  assert.deepEqual(Array.from(labels.subarray(28, 35)), [3, 3, 3, 4, 4, 5, 5]);
  assert.equal(labels[2 * 7 + 0], 0);
  assert.equal(labels[3 * 7 + 0], 3);
  assert.deepEqual(compactLabels([7, 7, -1, 3, -1]), { labels: Int32Array.of(0, 0, 1, 2, 1), count: 3 });
});

test('SLIC follows colour edges that are not on the seed grid', () => {
  // 3×32×32: left part (x < 13) red, right part blue; 4 seeds on a 16-px grid.
  const H = 32;
  const W = 32;
  const img = new Float32Array(3 * H * W);
  for (let p = 0; p < H * W; p++) {
    const left = p % W < 13;
    img[p] = left ? 0.9 : 0.1;
    img[H * W + p] = 0.2;
    img[2 * H * W + p] = left ? 0.1 : 0.9;
  }
  const { labels, count } = slic(img, 3, H, W, { nSegments: 4, compactness: 1 });
  assert.equal(count, 4);
  // Every segment is one colour: the boundary moved from x = 16 to x = 13.
  for (let s = 0; s < count; s++) {
    const colours = new Set<boolean>();
    for (let p = 0; p < H * W; p++) if (labels[p] === s) colours.add(p % W < 13);
    assert.equal(colours.size, 1, `segment ${s} mixes colours`);
  }
  assert.ok(isConnected(labels, H, W, count));
});

test('SLIC on chelsea: about n segments, each connected, deterministic', () => {
  const x = readNpy('conformance/inputs/chelsea64.npy');
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const P = 64 * 64;
  const rgb = Float32Array.from(x.data, (v, i) => Math.min(1, Math.max(0, v * std[Math.floor(i / P)]! + mean[Math.floor(i / P)]!)));
  for (const n of [16, 50]) {
    const a = slic(rgb, 3, 64, 64, { nSegments: n, compactness: 10 });
    assert.ok(a.count >= n / 2 && a.count <= 1.5 * n, `${a.count} segments for n_segments ${n}`);
    assert.ok(isConnected(a.labels, 64, 64, a.count));
    const sizes = new Array<number>(a.count).fill(0);
    for (const l of a.labels) sizes[l]!++;
    assert.ok(Math.min(...sizes) > 0);
    const b = slic(rgb, 3, 64, 64, { nSegments: n, compactness: 10 });
    assert.deepEqual(b.labels, a.labels);
  }
  // Higher compactness → more compact (lower perimeter) segments.
  const perimeter = (labels: Int32Array): number => {
    let e = 0;
    for (let y = 0; y < 64; y++) for (let x2 = 0; x2 < 63; x2++) if (labels[y * 64 + x2] !== labels[y * 64 + x2 + 1]) e++;
    for (let y = 0; y < 63; y++) for (let x2 = 0; x2 < 64; x2++) if (labels[y * 64 + x2] !== labels[(y + 1) * 64 + x2]) e++;
    return e;
  };
  const loose = slic(rgb, 3, 64, 64, { nSegments: 30, compactness: 1 });
  const tight = slic(rgb, 3, 64, 64, { nSegments: 30, compactness: 100 });
  assert.ok(perimeter(tight.labels) / tight.count < perimeter(loose.labels) / loose.count);
});

/** Same partition: labels equal up to renaming. */
function samePartition(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const ab = new Map<number, number>();
  const ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    if ((ab.get(a[i]!) ?? b[i]) !== b[i] || (ba.get(b[i]!) ?? a[i]) !== a[i]) return false;
    ab.set(a[i]!, b[i]!);
    ba.set(b[i]!, a[i]!);
  }
  return true;
}

test('SLIC gives exactly the partitions of skimage 0.19.3 slic (7 cases, fixture computed with skimage)', () => {
  interface Case { input: string; nSegments: number; compactness: number; labels: number[] }
  const fixture = JSON.parse(readFileSync('test/methods/perturbation/fixtures/slic-skimage.json', 'utf8')) as { cases: Case[] };
  assert.equal(fixture.cases.length, 7);
  for (const c of fixture.cases) {
    const x = readNpy(`conformance/inputs/${c.input}.npy`);
    const rgbInput = c.input === 'chelsea64';
    const [C, H, W] = rgbInput ? [3, 64, 64] : [1, 28, 28];
    const mean = rgbInput ? [0.485, 0.456, 0.406] : [0.286];
    const std = rgbInput ? [0.229, 0.224, 0.225] : [0.353];
    const P = H * W;
    const img = Float32Array.from(x.data, (v, i) => Math.min(1, Math.max(0, Math.fround(v * std[Math.floor(i / P)]!) + mean[Math.floor(i / P)]!)));
    const ours = slic(img, C, H, W, { nSegments: c.nSegments, compactness: c.compactness });
    assert.equal(ours.count, new Set(c.labels).size, `${c.input} n=${c.nSegments} c=${c.compactness}`);
    assert.ok(samePartition(ours.labels, c.labels), `${c.input} n=${c.nSegments} c=${c.compactness}: partitions differ`);
  }
});
