/**
 * Segmentation and detection data from the synthetic shapes dataset (src/datasets/shapes.ts), for
 * scripts/train_shapes_objects.py: each image holds one shape; its mask and tight box are the labels.
 *
 *   npx tsx scripts/gen-shapes-objects.ts
 *
 * Writes .cache/shapes-objects/<split>-{images,labels,masks,boxes}.npy (uint8; images N×64×64×3, masks N×64×64
 * with 1 inside the shape, boxes N×4 as x0, y0, x1, y1 with x1/y1 exclusive). No marker is drawn.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateShapeSample, SHAPE_IMAGE_SIZE } from '../src/datasets/shapes.js';
import { encodeNpy } from '../src/io/npy.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.cache', 'shapes-objects');
const SPLITS = { train: { seed: 404, count: 4000 }, val: { seed: 505, count: 500 } } as const;

mkdirSync(OUT, { recursive: true });
const S = SHAPE_IMAGE_SIZE;
for (const [name, { seed, count }] of Object.entries(SPLITS)) {
  const images = new Uint8Array(count * S * S * 3);
  const labels = new Uint8Array(count);
  const masks = new Uint8Array(count * S * S);
  const boxes = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    const s = generateShapeSample(seed, i, { markerMode: 'none' });
    images.set(s.image, i * S * S * 3);
    labels[i] = s.label;
    masks.set(s.mask, i * S * S);
    boxes.set(s.box, i * 4);
  }
  writeFileSync(join(OUT, `${name}-images.npy`), encodeNpy(images, [count, S, S, 3]));
  writeFileSync(join(OUT, `${name}-labels.npy`), encodeNpy(labels, [count]));
  writeFileSync(join(OUT, `${name}-masks.npy`), encodeNpy(masks, [count, S, S]));
  writeFileSync(join(OUT, `${name}-boxes.npy`), encodeNpy(boxes, [count, 4]));
  console.log(`${name}: ${count} images (seed ${seed})`);
}
