import { geometryOf, regionMask, relevanceMap } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import type { Metric } from '../types.js';

/**
 * Relevance mass accuracy (Arras, Osman, Samek 2022 "CLEVR-XAI", §4): relevance summed over channels (signed),
 * only positive values counted, R_in / R_total.
 */
export const relevanceMass: Metric = registerMetric({
  info: {
    id: 'relevance-mass',
    title: 'Relevance mass accuracy',
    category: 'localization',
    higherIsBetter: true,
    summary: 'Share of the positive relevance (channels summed, signed) inside the ground-truth region; 0…1, higher is better.',
    passes: 'none (uses the attribution only)',
    source: 'Arras et al. 2022 "CLEVR-XAI: A benchmark dataset for the ground truth evaluation of neural network explanations" (Information Fusion); Quantus RelevanceMassAccuracy',
    needsExplainer: false,
    needsRegions: true,
    options: [],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.input);
    const mask = regionMask(ctx.region, g, 'relevance-mass');
    const map = relevanceMap(ctx.attribution, g, 'signed');
    let inside = 0;
    let total = 0;
    map.forEach((v, p) => {
      if (v <= 0) return;
      total += v;
      if (mask[p]) inside += v;
    });
    return { value: total > 0 ? inside / total : NaN, details: {} };
  },
});
