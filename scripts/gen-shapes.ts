/**
 * Generate the "spot the shortcut" dataset (src/datasets/shapes.ts).
 *
 *   npx tsx scripts/gen-shapes.ts            # all splits
 *   npx tsx scripts/gen-shapes.ts --test-only
 *
 * Training/validation splits go to .cache/shapes/ (git-ignored) as .npy (uint8 N×64×64×3 images,
 * uint8 N labels, uint8 N marker classes with 255 = no marker) for scripts/train_shapes.py.
 * The committed test split goes to samples/shapes/: PNG images, PNG masks and split.json.
 *
 * The training sets for the clean and the shortcut model use the SAME seed, so they hold identical
 * pictures and differ only in the marker patch.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { generateShapeSample, SHAPE_CLASSES, SHAPE_IMAGE_SIZE, type MarkerMode, type ShapeSample } from '../src/datasets/shapes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, '.cache', 'shapes');
const SAMPLES = join(ROOT, 'samples', 'shapes');

const SHAPES_SPLITS = {
  train: { seed: 101, count: 8000 },
  val: { seed: 202, count: 1000 },
  test: { seed: 303, count: 100 },
} as const;

/** Minimal .npy (format 1.0) writer for uint8 arrays. */
function npyBytes(data: Uint8Array, shape: number[]): Uint8Array {
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic(6) + version(2) + header length(2) + header, padded with spaces and ending in \n to a multiple of 64.
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + header.length);
  return out;
}

function writeNpySplit(name: string, seed: number, count: number, markerMode: MarkerMode): void {
  const px = SHAPE_IMAGE_SIZE * SHAPE_IMAGE_SIZE * 3;
  const images = new Uint8Array(count * px);
  const labels = new Uint8Array(count);
  const markers = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const s = generateShapeSample(seed, i, { markerMode });
    images.set(s.image, i * px);
    labels[i] = s.label;
    markers[i] = s.marker.classIndex ?? 255;
  }
  writeFileSync(join(CACHE, `${name}-images.npy`), npyBytes(images, [count, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE, 3]));
  writeFileSync(join(CACHE, `${name}-labels.npy`), npyBytes(labels, [count]));
  writeFileSync(join(CACHE, `${name}-markers.npy`), npyBytes(markers, [count]));
  console.log(`${name}: ${count} images (seed ${seed}, marker ${markerMode})`);
}

/** Test split: balanced labels (index % 5); even indices carry a consistent marker, odd ones a swapped marker. */
function testSplitSample(index: number): ShapeSample {
  const { seed } = SHAPES_SPLITS.test;
  return generateShapeSample(seed, index, { label: index % SHAPE_CLASSES.length, markerMode: index % 2 === 0 ? 'consistent' : 'swapped' });
}

async function writeTestSplit(): Promise<void> {
  const { seed, count } = SHAPES_SPLITS.test;
  mkdirSync(join(SAMPLES, 'masks'), { recursive: true });
  const entries = [];
  for (let i = 0; i < count; i++) {
    const s = testSplitSample(i);
    const file = `${String(i).padStart(3, '0')}-${s.className}.png`;
    const raw = { raw: { width: s.width, height: s.height, channels: 3 as const } };
    await sharp(s.image, raw).png({ compressionLevel: 9 }).toFile(join(SAMPLES, file));
    const maskPixels = s.mask.map((v) => v * 255);
    await sharp(maskPixels, { raw: { width: s.width, height: s.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toFile(join(SAMPLES, 'masks', file));
    entries.push({
      file,
      mask: `masks/${file}`,
      index: i,
      label: s.label,
      className: s.className,
      box: s.box,
      marker: { present: s.marker.present, box: s.marker.box, classIndex: s.marker.classIndex, consistent: s.marker.consistent },
    });
  }
  const split = {
    description:
      'Spot-the-shortcut test split. Even indices: marker consistent with the class; odd: marker swapped to another class. Boxes are [x0, y0, x1, y1] with x1/y1 exclusive. Regenerate with `npx tsx scripts/gen-shapes.ts --test-only` (images are generateShapeSample(seed, index, { label: index % 5, markerMode })).',
    generator: 'src/datasets/shapes.ts',
    seed,
    classes: [...SHAPE_CLASSES],
    size: [SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE],
    images: entries,
  };
  writeFileSync(join(SAMPLES, 'split.json'), JSON.stringify(split, null, 1) + '\n');
  console.log(`test: ${count} PNGs + masks + split.json in samples/shapes (seed ${seed})`);
}

async function main(): Promise<void> {
  const testOnly = process.argv.includes('--test-only');
  if (!testOnly) {
    mkdirSync(CACHE, { recursive: true });
    const { train, val } = SHAPES_SPLITS;
    writeNpySplit('train-clean', train.seed, train.count, 'none');
    writeNpySplit('train-shortcut', train.seed, train.count, 'consistent');
    writeNpySplit('val-clean', val.seed, val.count, 'none');
    writeNpySplit('val-consistent', val.seed, val.count, 'consistent');
    writeNpySplit('val-swapped', val.seed, val.count, 'swapped');
  }
  await writeTestSplit();
}

await main();
