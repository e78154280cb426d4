import { geometryOf, relevanceMap } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import { gini } from '../stats.js';
import type { Metric } from '../types.js';

/** Sparseness (Chalasani et al. 2020; Quantus Sparseness): Gini index of the absolute per-pixel relevance. */
export const sparseness: Metric = registerMetric({
  info: {
    id: 'sparseness',
    title: 'Sparseness (Gini)',
    category: 'complexity',
    higherIsBetter: true,
    summary: 'Gini index of |relevance| over pixels; 0 = spread evenly, → 1 = concentrated on few pixels; higher is better.',
    passes: 'none (uses the attribution only)',
    source: 'Chalasani et al. 2020 "Concise Explanations of Neural Networks using Adversarial Training" (ICML); Quantus Sparseness',
    needsExplainer: false,
    needsRegions: false,
    options: [],
  },
  async compute(ctx) {
    return { value: gini(relevanceMap(ctx.attribution, geometryOf(ctx.input))), details: {} };
  },
});
