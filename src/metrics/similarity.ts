import type { Tensor } from '../tensor.js';
import type { ImageGeometry } from './image-scoring.js';
import { geometryOf, relevanceMap, requireExplain } from './image-scoring.js';
import { minMaxNormalize, spearman, ssim } from './stats.js';
import type { MetricContext, MetricScore, OtherClassDetails } from './types.js';

export interface MapSimilarity {
  /** Spearman rank correlation of the absolute per-pixel relevance (Adebayo et al. 2018 "absolute value" variant). */
  spearman: number;
  /** SSIM of the absolute maps, each min-max scaled to [0,1] (data range 1, Gaussian window 11, σ 1.5). */
  ssim: number;
}

/** How alike two explanations of the same image are, as Adebayo et al. 2018 compare them. */
export function mapSimilarity(a: Tensor, b: Tensor, geometry: ImageGeometry): MapSimilarity {
  const ma = relevanceMap(a, geometry).map(Math.abs);
  const mb = relevanceMap(b, geometry).map(Math.abs);
  return {
    spearman: spearman(ma, mb),
    ssim: ssim(minMaxNormalize(ma), minMaxNormalize(mb), geometry.height, geometry.width),
  };
}

/**
 * Class discrimination and random logit: SSIM (and details.spearman) between the map of the target and the map of
 * the class `other` picks from the image's logits. NaN when the target is not a class of a classifier, or when
 * `other` finds none (a one-class model).
 */
export async function otherClassSimilarity(ctx: MetricContext, metric: string, other: (logits: Tensor) => number | undefined): Promise<MetricScore> {
  const explain = requireExplain(ctx, metric);
  const none = { value: NaN, details: { otherClass: -1, spearman: NaN } satisfies OtherClassDetails };
  // two classes of a classifier are compared: a segmentation, detection, output-index or embedding target has no such pair
  if (ctx.targets) return none;
  const g = geometryOf(ctx.input);
  const { logits } = await ctx.model.forward(ctx.input);
  const otherClass = other(logits);
  if (otherClass === undefined) return none;
  const sim = mapSimilarity(ctx.attribution, await explain(ctx.input, { target: otherClass }), g);
  return { value: sim.ssim, details: { otherClass, spearman: sim.spearman } satisfies OtherClassDetails };
}
