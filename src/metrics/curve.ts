import { numberInRange } from '../options.js';
import { minMax } from '../math/min-max.js';
import type { ImageGeometry, ScoreOutput } from './image-scoring.js';
import { channelMeans, geometryOf, rankPixels, relevanceMap, scoreImages } from './image-scoring.js';
import { Random } from '../random.js';
import { trapezoid } from './stats.js';
import type { OptionSpec, OptionValues } from '../methods/types.js';
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

/**
 * What pixels taken out of the image (deletion, pixel flipping) become, per channel c of the image (`value(c)` is
 * asked once per channel in order and gives the value at each pixel in order, so a seeded draw sees one sequence):
 * - 'zero': 0 in the normalized input space (the dataset mean colour after normalization);
 * - 'mean': the image's own per-channel mean;
 * - 'uniform': seeded random values, uniform over the channel's [min, max] in the image, one per pixel (Bach et al.).
 */
const REMOVAL_FILLS: Record<RemovalFill, ((ctx: MetricContext, g: ImageGeometry) => (c: number) => (p: number) => number) | undefined> = {
  zero: undefined,
  mean: (ctx, g) => {
    const means = channelMeans(ctx.input, g);
    return (c) => () => means[c]!;
  },
  uniform: (ctx, g) => {
    const random = new Random(ctx.seed);
    return (c) => {
      const [lo, hi] = minMax(Array.from({ length: g.pixels }, (_, p) => ctx.input.data[g.offset(c, p)]!));
      return () => random.uniform(lo, hi);
    };
  },
};

export type RemovalFill = 'zero' | 'mean' | 'uniform';

/** A curve from the image itself to the fill `baseline` names (REMOVAL_FILLS). */
function removalEnds(ctx: MetricContext, g: ImageGeometry, baseline: RemovalFill): CurveEnds {
  const fill = new Float32Array(ctx.input.size);
  const value = REMOVAL_FILLS[baseline]?.(ctx, g);
  if (value) {
    for (let c = 0; c < g.channels; c++) {
      const at = value(c);
      for (let p = 0; p < g.pixels; p++) fill[g.offset(c, p)] = at(p);
    }
  }
  return { start: ctx.input.data, fill, baseline };
}

/** Deletion, insertion or pixel flipping: its text, its own options and the two images its curve goes between. */
export type CurveMetricDefinition<S extends readonly OptionSpec[] = readonly OptionSpec[]> = {
  id: string;
  title: string;
  higherIsBetter: boolean;
  summary: string;
  source: string;
  /** What happens to the pixels of a step, for the `pixelsPerStep` help: 'removed', 'inserted', 'flipped'. */
  moved: string;
  options?: S;
} & (
  | {
      /**
       * A curve that takes pixels out of the image: the `baseline` option (what they become, from REMOVAL_FILLS),
       * declared and read here; the first choice is the default.
       */
      baseline: { choices: readonly [RemovalFill, ...RemovalFill[]]; description: string };
      ends?: never;
    }
  | {
      baseline?: never;
      /** Any other curve: reads the metric's own options (typed from `options`) and builds `start` and `fill`. */
      ends(ctx: MetricContext<OptionValues<S>>, geometry: ImageGeometry): CurveEnds;
    }
);

/**
 * Register a pixel-order curve metric: pixels most relevant first move from `start` to `fill`, `pixelsPerStep` at a
 * time; the value is the area under the target probability.
 */
export function defineCurveMetric<const S extends readonly OptionSpec[] = readonly []>(def: CurveMetricDefinition<S>): Metric {
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
      // registerMetric has checked and parsed every declared option, the definition's own (S) included
      const { start, fill, baseline: name } = def.baseline ? removalEnds(ctx, g, (ctx.options as Readonly<Record<string, unknown>>)['baseline'] as RemovalFill) : def.ends(ctx as MetricContext<OptionValues<S>>, g);
      const order = rankPixels(relevanceMap(ctx.attribution, g));
      const curve = await perturbationCurve(ctx, g, order, step, start, fill, 'probability');
      return { value: curve.auc, details: { curve: curve.scores, fractions: curve.fractions, pixelsPerStep: step, baseline: name } satisfies CurveDetails };
    },
  });
}
