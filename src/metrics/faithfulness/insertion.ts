import type { ImageGeometry } from '../image-scoring.js';
import { defineCurveMetric } from '../curve.js';
import { gaussianBlur } from '../stats.js';

/**
 * Insertion (Petsiuk et al. 2018, RISE): start from a blurred copy of the image and put the original pixels
 * back most-important-first; a faithful map makes the target's probability rise fast, so a HIGH AUC is good.
 */
export const insertion = defineCurveMetric({
  id: 'insertion',
  title: 'Insertion AUC',
  higherIsBetter: true,
  summary: 'Area under the softmax probability of the target as original pixels are put back into a blurred image, most relevant first (fraction axis 0…1). 0…1, higher is better.',
  source: 'Petsiuk et al. 2018 "RISE" (BMVC), insertion metric; CausalMetric in github:eclique/RISE',
  moved: 'inserted',
  options: [
    { name: 'blurKernel', type: 'integer', min: 1, max: 255, default: 11, description: 'Gaussian blur kernel size of the start image (pixels)' },
    { name: 'blurSigma', type: 'number', min: 0, exclusiveMin: true, default: 5, description: 'Gaussian blur σ of the start image (pixels)' },
  ],
  ends(ctx, g) {
    // σ > 0 (declared); as σ → 0 the kernel tends to its middle tap (gaussianKernel): for an odd blurKernel the start
    // image is then the image itself
    const { blurKernel, blurSigma } = ctx.options;
    return { start: blurImage(ctx.input.data, g, blurKernel, blurSigma), fill: ctx.input.data, baseline: 'blur' };
  },
});

/** Blur every channel plane of one image (normalized input space, edge pixels replicated). */
export function blurImage(data: Float32Array, g: ImageGeometry, size: number, sigma: number): Float32Array {
  const out = new Float32Array(data.length);
  const plane = new Float64Array(g.pixels);
  for (let c = 0; c < g.channels; c++) {
    for (let p = 0; p < g.pixels; p++) plane[p] = data[g.offset(c, p)]!;
    const b = gaussianBlur(plane, g.height, g.width, size, sigma);
    for (let p = 0; p < g.pixels; p++) out[g.offset(c, p)] = b[p]!;
  }
  return out;
}
