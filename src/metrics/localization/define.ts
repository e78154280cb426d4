import type { OptionSpec, OptionValues } from '../../methods/types.js';
import { geometryOf, regionMask, type ImageGeometry } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import type { Metric, MetricContext, MetricScore } from '../types.js';

/** A localization metric: its text, and its score of one image's attribution against the ground-truth region. */
export interface LocalizationDefinition<S extends readonly OptionSpec[]> {
  id: string;
  title: string;
  summary: string;
  source: string;
  options?: S;
  /** `mask` has one 0/1 value per pixel (1 = inside the region); `ctx.options` typed from `options` (registerMetric). */
  score(ctx: MetricContext<OptionValues<S>>, geometry: ImageGeometry, mask: Uint8Array): MetricScore;
}

/** Register a localization metric: it reads ground-truth regions and the attribution only (no model pass), higher is better. */
export function defineLocalizationMetric<const S extends readonly OptionSpec[] = readonly []>(def: LocalizationDefinition<S>): Metric {
  return registerMetric<S>({
    info: {
      id: def.id,
      title: def.title,
      category: 'localization',
      higherIsBetter: true,
      summary: def.summary,
      passes: 'none (uses the attribution only)',
      source: def.source,
      needsExplainer: false,
      needsRegions: true,
      options: def.options ?? ([] as readonly OptionSpec[] as S),
    },
    async compute(ctx) {
      const g = geometryOf(ctx.input);
      return def.score(ctx, g, regionMask(ctx.region, g, def.id));
    },
  });
}

/** Σ_{inside} max(0, m) / Σ max(0, m): the share of the positive relevance inside the region (NaN when there is none). */
export function positiveShareInside(map: Float64Array, mask: Uint8Array): number {
  let inside = 0;
  let total = 0;
  map.forEach((v, p) => {
    if (v <= 0) return;
    total += v;
    if (mask[p]) inside += v;
  });
  return total > 0 ? inside / total : NaN;
}
