import { registerMetric } from '../registry.js';
import { otherClassSimilarity } from '../similarity.js';
import type { Metric } from '../types.js';

/**
 * Class discrimination: the map of the explained class against the map of the strongest other class (top-2 when
 * the target is the prediction). Grad-CAM's class-discriminativeness (Selvaraju et al. 2017) made numeric.
 */
export const classDiscrimination: Metric = registerMetric({
  info: {
    id: 'class-discrimination',
    title: 'Class discrimination (top-1 vs top-2)',
    category: 'discrimination',
    higherIsBetter: false,
    summary: 'SSIM between the map of the target and the map of the highest-scoring other class (maps |·|, min-max scaled); −1…1, lower is better. details.spearman: rank correlation.',
    passes: '1 forward pass + 1 explanation',
    source: 'Selvaraju et al. 2017 "Grad-CAM" (class-discriminative localization); similarity as Adebayo et al. 2018 (Spearman, SSIM)',
    needsExplainer: true,
    needsRegions: false,
    options: [],
  },
  compute: (ctx) =>
    otherClassSimilarity(ctx, 'class-discrimination', (logits) => {
      const row = Array.from(logits.data);
      if (row.length < 2) return undefined;
      return row.map((v, j) => [v, j] as const).filter(([, j]) => j !== ctx.target).sort((a, b) => b[0] - a[0] || a[1] - b[1])[0]![1];
    }),
});
