import { enumOption, numberInRange } from '../options.js';
import type { ImageGeometry, ScoreOutput } from './image-scoring.js';
import { geometryOf, rankPixels, relevanceMap, scoreImages } from './image-scoring.js';
import { trapezoid } from './stats.js';
import type { OptionSpec } from '../methods/types.js';
import { registerMetric } from './registry.js';
import { detailsOf, type CurveDetails, type Metric, type MetricContext, type MetricDetailsById, type MetricResult } from './types.js';

/** The metrics whose details are a relevance-order curve (defineCurveMetric's CurveDetails). */
export const CURVE_METRICS = ['deletion', 'insertion', 'pixel-flipping'] as const satisfies readonly (keyof MetricDetailsById)[];

/** Item `i`'s curve in a curve metric's result, read through detailsOf; undefined for any other metric. */
export function curveOf(result: MetricResult, i: number): CurveDetails | undefined {
  const id = CURVE_METRICS.find((c) => c === result.metric);
  return id ? detailsOf(result, id)[i] : undefined;
}

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

/** Deletion, insertion or pixel flipping: its text, its own options and the two images its curve goes between. */
export interface CurveMetricDefinition<B extends string = never> {
  id: string;
  title: string;
  higherIsBetter: boolean;
  summary: string;
  source: string;
  /** What happens to the pixels of a step, for the `pixelsPerStep` help: 'removed', 'inserted', 'flipped'. */
  moved: string;
  /** The `baseline` option (what removed pixels become), declared and read here; the first choice is the default. */
  baseline?: { choices: readonly [B, ...B[]]; description: string };
  options?: readonly OptionSpec[];
  /** Reads the metric's own options (after `pixelsPerStep` and `baseline`) and builds `start` and `fill`. */
  ends(ctx: MetricContext, geometry: ImageGeometry, baseline: B): CurveEnds;
}

/**
 * Register a pixel-order curve metric: pixels most relevant first move from `start` to `fill`, `pixelsPerStep` at a
 * time; the value is the area under the target probability.
 */
export function defineCurveMetric<B extends string = never>(def: CurveMetricDefinition<B>): Metric {
  const baseline = def.baseline && ({ name: 'baseline', type: 'enum', choices: def.baseline.choices, default: def.baseline.choices[0], description: def.baseline.description } satisfies OptionSpec);
  return registerMetric({
    info: {
      id: def.id,
      title: def.title,
      category: 'faithfulness',
      higherIsBetter: def.higherIsBetter,
      summary: def.summary,
      passes: '1 + ceil(H·W / pixelsPerStep) forward passes (default ≈ 101)',
      source: def.source,
      needsExplainer: false,
      needsRegions: false,
      options: [
        { name: 'pixelsPerStep', type: 'integer', min: 1, description: `Pixels ${def.moved} per step (default ceil(H·W/100), i.e. about 100 steps)` },
        ...(baseline ? [baseline] : []),
        ...(def.options ?? []),
      ],
    },
    async compute(ctx) {
      const g = geometryOf(ctx.input);
      const step = numberInRange(ctx.options, 'pixelsPerStep', defaultPixelsPerStep(g.pixels), 1, g.pixels, true);
      // without a declared baseline B is never and `ends` ignores the argument
      const chosen = (def.baseline ? enumOption(ctx.options, 'baseline', def.baseline.choices, def.baseline.choices[0]) : undefined) as B;
      const { start, fill, baseline: name } = def.ends(ctx, g, chosen);
      const order = rankPixels(relevanceMap(ctx.attribution, g));
      const curve = await perturbationCurve(ctx, g, order, step, start, fill, 'probability');
      return { value: curve.auc, details: { curve: curve.scores, fractions: curve.fractions, pixelsPerStep: step, baseline: name } satisfies CurveDetails };
    },
  });
}
