import { numberInRange } from '../options.js';
import type { ImageGeometry, ScoreOutput } from './image-scoring.js';
import { geometryOf, rankPixels, relevanceMap, scoreImages } from './image-scoring.js';
import { trapezoid } from './stats.js';
import type { CurveDetails, MetricContext, MetricScore } from './types.js';

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

/** The two images a pixel-order curve goes between, and the name of the baseline for the details. */
export interface CurveEnds {
  start: Float32Array;
  fill: Float32Array;
  baseline: string;
}

/**
 * Deletion, insertion and pixel flipping: the `pixelsPerStep` option, then `ends` (which reads the metric's own
 * options), pixels most relevant first moved from `start` to `fill`; the value is the AUC of the target probability.
 */
export async function relevanceOrderCurve(ctx: MetricContext, ends: (geometry: ImageGeometry) => CurveEnds): Promise<MetricScore> {
  const g = geometryOf(ctx.input);
  const step = numberInRange(ctx.options, 'pixelsPerStep', defaultPixelsPerStep(g.pixels), 1, g.pixels, true);
  const { start, fill, baseline } = ends(g);
  const order = rankPixels(relevanceMap(ctx.attribution, g));
  const curve = await perturbationCurve(ctx, g, order, step, start, fill, 'probability');
  return { value: curve.auc, details: { curve: curve.scores, fractions: curve.fractions, pixelsPerStep: step, baseline } satisfies CurveDetails };
}
