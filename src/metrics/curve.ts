import type { ImageGeometry, ScoreOutput } from './image-scoring.js';
import { scoreImages } from './image-scoring.js';
import { trapezoid } from './stats.js';
import type { MetricContext } from './types.js';

export interface CurveResult {
  /** Fraction of pixels taken from `fill`, 0 … 1 (the last step may be shorter than the others). */
  fractions: number[];
  scores: number[];
  /** Trapezoid area under scores over fractions. */
  auc: number;
}

/** Default pixels per step: ~100 steps whatever the image size. */
export function defaultPixelsPerStep(pixels: number): number {
  return Math.max(1, Math.ceil(pixels / 100));
}

/**
 * The curve shared by deletion, insertion and pixel flipping: image k is `start` with the first
 * min(k·pixelsPerStep, H·W) pixels of `order` (all channels) copied from `fill`, k = 0 … ceil(H·W / pixelsPerStep).
 */
export async function perturbationCurve(
  ctx: MetricContext,
  geometry: ImageGeometry,
  order: Int32Array,
  pixelsPerStep: number,
  start: Float32Array,
  fill: Float32Array,
  output: ScoreOutput,
): Promise<CurveResult> {
  const total = geometry.pixels;
  const steps = Math.ceil(total / pixelsPerStep);
  const counts = Array.from({ length: steps + 1 }, (_, k) => Math.min(k * pixelsPerStep, total));
  const scores = await scoreImages(
    ctx,
    counts.length,
    (k, out) => {
      out.set(start);
      const n = counts[k]!;
      for (let i = 0; i < n; i++) {
        const p = order[i]!;
        for (let c = 0; c < geometry.channels; c++) {
          const o = geometry.offset(c, p);
          out[o] = fill[o]!;
        }
      }
    },
    output,
    (done) => ctx.progress(done, counts.length),
  );
  const fractions = counts.map((n) => n / total);
  const values = Array.from(scores);
  return { fractions, scores: values, auc: trapezoid(values, fractions) };
}
