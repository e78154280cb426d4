import { geometryOf, requireExplain } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import { mapSimilarity } from '../similarity.js';
import { Random } from '../../random.js';
import type { Metric, MetricScore, OtherClassDetails } from '../types.js';

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
  async compute(ctx): Promise<MetricScore> {
    const explain = requireExplain(ctx, 'random-logit');
    // two classes of a classifier are compared: a segmentation, detection, output-index or embedding target has no such pair
    if (ctx.targets) return { value: NaN, details: { otherClass: -1, spearman: NaN } satisfies OtherClassDetails };
    const g = geometryOf(ctx.input);
    const { logits } = await ctx.model.forward(ctx.input);
    const k = logits.dims[1]!;
    if (k < 2) return { value: NaN, details: { otherClass: -1, spearman: NaN } satisfies OtherClassDetails };
    const random = new Random(ctx.seed);
    let other = random.int(k - 1);
    if (other >= ctx.target) other += 1;
    const sim = mapSimilarity(ctx.attribution, await explain(ctx.input, { target: other }), g);
    return { value: sim.ssim, details: { otherClass: other, spearman: sim.spearman } satisfies OtherClassDetails };
  },
});
