import { generateShapeSample, SHAPE_IMAGE_SIZE, type MarkerMode, type ShapeSample } from '../../src/datasets/shapes.js';
import { Tensor } from '../../src/tensor.js';

/**
 * `count` generated shapes images (dataset `seed`, consecutive indices, those `keep` accepts) as an NCHW batch in
 * [0, 1] (the shapes models' 'unit' normalization).
 */
export function shapesBatch(seed: number, count: number, mode: MarkerMode, keep: (s: ShapeSample) => boolean = () => true, label?: number): Tensor {
  const s = SHAPE_IMAGE_SIZE;
  const picked: ShapeSample[] = [];
  for (let i = 0; picked.length < count; i++) {
    const x = generateShapeSample(seed, i, { markerMode: mode, ...(label !== undefined ? { label } : {}) });
    if (keep(x)) picked.push(x);
  }
  const out = new Float32Array(count * 3 * s * s);
  picked.forEach((x, i) => {
    for (let p = 0; p < s * s; p++) for (let c = 0; c < 3; c++) out[(i * 3 + c) * s * s + p] = x.image[p * 3 + c]! / 255;
  });
  return new Tensor(out, [count, 3, s, s]);
}
