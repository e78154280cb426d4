import { geometryOf, relevanceMap } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import { entropy } from '../stats.js';
import type { Metric, ComplexityDetails } from '../types.js';

/** Complexity (Bhatt et al. 2020; Quantus Complexity): entropy of the fractional contributions |a_i| / Σ|a|. */
export const complexity: Metric = registerMetric({
  info: {
    id: 'complexity',
    title: 'Complexity (entropy)',
    category: 'complexity',
    higherIsBetter: false,
    summary: 'Shannon entropy (nats) of |relevance| normalized to a distribution over pixels; 0 … ln(H·W), lower is better.',
    passes: 'none (uses the attribution only)',
    source: 'Bhatt et al. 2020 "Evaluating and Aggregating Feature-based Model Explanations" (IJCAI); Quantus Complexity',
    needsExplainer: false,
    needsRegions: false,
    options: [],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.input);
    const h = entropy(relevanceMap(ctx.attribution, g));
    return { value: h, details: { maximum: Math.log(g.pixels) } satisfies ComplexityDetails };
  },
});
