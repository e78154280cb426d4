import { registerMetric } from '../registry.js';
import { otherClassSimilarity } from '../similarity.js';
import { Random } from '../../random.js';
import type { Metric } from '../types.js';

/**
 * Random logit test (Sixt, Granz, Landgraf 2020 "When Explanations Lie"; Quantus RandomLogit): explain a
 * uniformly drawn other class and compare with the map of the target. Class-sensitive maps differ.
 */
export const randomLogit: Metric = registerMetric({
  info: {
    id: 'random-logit',
    title: 'Random logit',
    category: 'randomization',
    higherIsBetter: false,
    summary: 'SSIM between the map of the target and the map of a random other class (maps |·|, min-max scaled); −1…1, lower is better. details.spearman: rank correlation.',
    passes: '1 explanation',
    source: 'Sixt et al. 2020 "When Explanations Lie: Why Many Modified BP Attributions Fail" (ICML); Quantus RandomLogit (SSIM)',
    needsExplainer: true,
    needsRegions: false,
    options: [],
  },
  compute: (ctx) =>
    otherClassSimilarity(ctx, 'random-logit', (logits) => {
      const k = logits.dims[1]!;
      if (k < 2) return undefined;
      const other = new Random(ctx.seed).int(k - 1);
      return other >= ctx.target ? other + 1 : other;
    }),
});
