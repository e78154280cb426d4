import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  generateShapeSample,
  generateShapeSamples,
  MARKER_BOX,
  MARKER_COLOURS,
  mixSeed,
  mulberry32,
  SHAPE_CLASSES,
  SHAPE_IMAGE_SIZE,
  type Box,
  type ShapeSample,
} from '../../src/datasets/shapes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = SHAPE_IMAGE_SIZE;

function pixel(s: ShapeSample, x: number, y: number): number[] {
  const p = (y * N + x) * 3;
  return [s.image[p]!, s.image[p + 1]!, s.image[p + 2]!];
}

function inBox(box: Box, x: number, y: number): boolean {
  return x >= box[0] && x < box[2] && y >= box[1] && y < box[3];
}

test('mulberry32 is deterministic, in [0,1) and roughly uniform', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const v = a();
    assert.equal(v, b());
    assert.ok(v >= 0 && v < 1);
    sum += v;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02, `mean ${sum / 10000}`);
  assert.notEqual(mulberry32(1)(), mulberry32(2)());
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
});

test('same seed and index give identical bytes; a different seed or index gives a different image', () => {
  const a = generateShapeSample(7, 3, { markerMode: 'swapped' });
  const b = generateShapeSample(7, 3, { markerMode: 'swapped' });
  assert.deepEqual(a.image, b.image);
  assert.deepEqual(a.mask, b.mask);
  assert.deepEqual(a.box, b.box);
  assert.equal(a.marker.classIndex, b.marker.classIndex);
  assert.equal(a.image.length, N * N * 3);
  assert.equal(a.mask.length, N * N);

  const otherSeed = generateShapeSample(8, 3, { markerMode: 'swapped' });
  const otherIndex = generateShapeSample(7, 4, { markerMode: 'swapped' });
  const differing = (u: Uint8Array, v: Uint8Array): number => u.reduce((n, x, i) => n + (x !== v[i] ? 1 : 0), 0);
  assert.ok(differing(a.image, otherSeed.image) > N * N, 'different seed should change most of the image');
  assert.ok(differing(a.image, otherIndex.image) > N * N, 'different index should change most of the image');

  const batch = generateShapeSamples(7, 5, { markerMode: 'swapped' });
  assert.deepEqual(batch[3]!.image, a.image);
});

test('mask is non-empty, lies inside the box, the box is tight and avoids the marker corner', () => {
  for (let i = 0; i < 60; i++) {
    const s = generateShapeSample(11, i);
    const [x0, y0, x1, y1] = s.box;
    assert.ok(0 <= x0 && x0 < x1 && x1 <= N && 0 <= y0 && y0 < y1 && y1 <= N, `box ${s.box}`);
    let count = 0;
    let left = false, right = false, top = false, bottom = false;
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        if (s.mask[y * N + x] === 0) continue;
        assert.equal(s.mask[y * N + x], 1);
        assert.ok(inBox(s.box, x, y), `mask pixel (${x},${y}) outside box ${s.box}`);
        assert.ok(!inBox([0, 0, 12, 12], x, y), 'shape overlaps the marker corner');
        count++;
        left ||= x === x0;
        right ||= x === x1 - 1;
        top ||= y === y0;
        bottom ||= y === y1 - 1;
      }
    }
    // radius >= 9 px: even the thinnest shape (the cross) covers well over 50 pixels
    assert.ok(count >= 50, `sample ${i}: only ${count} mask pixels`);
    assert.ok(left && right && top && bottom, `sample ${i}: box ${s.box} is not tight`);
  }
});

test('shape pixels take the shape colour: deep inside the mask the image is uniform', () => {
  const s = generateShapeSample(5, 0, { label: 0 }); // circle: its centre is certainly inside
  const cx = Math.floor((s.box[0] + s.box[2]) / 2);
  const cy = Math.floor((s.box[1] + s.box[3]) / 2);
  const centre = pixel(s, cx, cy);
  assert.deepEqual(pixel(s, cx + 2, cy), centre);
  assert.deepEqual(pixel(s, cx, cy - 2), centre);
  assert.equal(s.mask[cy * N + cx], 1);
});

test('labels can be forced and are roughly balanced when drawn', () => {
  for (let c = 0; c < SHAPE_CLASSES.length; c++) {
    const s = generateShapeSample(3, 9, { label: c });
    assert.equal(s.label, c);
    assert.equal(s.className, SHAPE_CLASSES[c]);
  }
  assert.throws(() => generateShapeSample(3, 9, { label: 5 }), RangeError);
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < 200; i++) counts[generateShapeSample(21, i).label]!++;
  for (const n of counts) assert.ok(n >= 20 && n <= 60, `counts ${counts}`);
});

test('marker: drawn in the fixed corner with the class colour and a black border; modes differ only there', () => {
  const [mx0, my0, mx1, my1] = MARKER_BOX;
  assert.deepEqual(MARKER_BOX, [2, 2, 8, 8]);
  for (let i = 0; i < 25; i++) {
    const none = generateShapeSample(9, i, { markerMode: 'none' });
    const consistent = generateShapeSample(9, i, { markerMode: 'consistent' });
    const swapped = generateShapeSample(9, i, { markerMode: 'swapped' });

    assert.equal(none.marker.present, false);
    assert.equal(none.marker.classIndex, null);
    assert.equal(none.marker.consistent, false);
    assert.equal(consistent.marker.classIndex, consistent.label);
    assert.equal(consistent.marker.consistent, true);
    assert.notEqual(swapped.marker.classIndex, swapped.label);
    assert.equal(swapped.marker.consistent, false);
    assert.ok(swapped.marker.classIndex! >= 0 && swapped.marker.classIndex! < 5);

    for (const s of [consistent, swapped]) {
      assert.deepEqual(s.marker.box, MARKER_BOX);
      assert.deepEqual(pixel(s, mx0, my0), [0, 0, 0]);
      assert.deepEqual(pixel(s, mx1 - 1, my1 - 1), [0, 0, 0]);
      assert.deepEqual(pixel(s, mx0 + 2, my0 + 3), [...MARKER_COLOURS[s.marker.classIndex!]!]);
    }
    // Same picture apart from the marker: every pixel outside MARKER_BOX is identical.
    assert.deepEqual(none.mask, consistent.mask);
    let differentOutside = 0;
    let differentInside = 0;
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        for (let c = 0; c < 3; c++) {
          const p = (y * N + x) * 3 + c;
          const differs = none.image[p] !== consistent.image[p] || none.image[p] !== swapped.image[p];
          if (!differs) continue;
          if (inBox(MARKER_BOX, x, y)) differentInside++;
          else differentOutside++;
        }
      }
    }
    assert.equal(differentOutside, 0);
    assert.ok(differentInside > 0);
    // Without a marker the corner is background (not the black marker border).
    assert.notDeepEqual(pixel(none, mx0, my0).concat(pixel(none, mx1 - 1, my0)), [0, 0, 0, 0, 0, 0]);
  }
  // Swapped markers cover every other class, not just one.
  const swappedTo = new Set<number>();
  for (let i = 0; i < 60; i++) {
    const s = generateShapeSample(4, i, { label: 0, markerMode: 'swapped' });
    swappedTo.add(s.marker.classIndex!);
  }
  assert.deepEqual([...swappedTo].sort(), [1, 2, 3, 4]);
});

test('committed test split (samples/shapes) matches the generator', async () => {
  interface Entry {
    file: string;
    mask: string;
    index: number;
    label: number;
    box: Box;
    marker: { present: boolean; classIndex: number | null; consistent: boolean };
  }
  const split = JSON.parse(readFileSync(join(ROOT, 'samples', 'shapes', 'split.json'), 'utf8')) as { seed: number; images: Entry[] };
  assert.equal(split.images.length, 100);
  assert.equal(split.images.filter((e) => e.marker.consistent).length, 50);
  for (const e of split.images) {
    const s = generateShapeSample(split.seed, e.index, { label: e.index % 5, markerMode: e.index % 2 === 0 ? 'consistent' : 'swapped' });
    assert.equal(s.label, e.label);
    assert.deepEqual(s.box, e.box);
    assert.equal(s.marker.classIndex, e.marker.classIndex);
  }
  for (const e of split.images.slice(0, 3)) {
    const s = generateShapeSample(split.seed, e.index, { label: e.index % 5, markerMode: e.index % 2 === 0 ? 'consistent' : 'swapped' });
    const png = await sharp(join(ROOT, 'samples', 'shapes', e.file)).raw().toBuffer({ resolveWithObject: true });
    assert.equal(png.info.channels, 3);
    assert.deepEqual(new Uint8Array(png.data), s.image);
    const mask = await sharp(join(ROOT, 'samples', 'shapes', e.mask)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual(new Uint8Array(mask.data), s.mask.map((v) => v * 255));
  }
});
