import { rankPixels, relevanceMap } from '../image-scoring.js';
import type { RelevanceRankDetails } from '../types.js';
import { defineLocalizationMetric } from './define.js';

/**
 * Relevance rank accuracy (Arras et al. 2022): with K = the region's pixel count, the fraction of the K
 * highest-relevance pixels (channels summed, signed; ties in row-major order) that lie inside the region.
 */
export const relevanceRank = defineLocalizationMetric({
  id: 'relevance-rank',
  title: 'Relevance rank accuracy',
  summary: 'Fraction of the top-K pixels (K = region size) inside the ground-truth region; 0…1, higher is better.',
  source: 'Arras et al. 2022 "CLEVR-XAI" (Information Fusion); Quantus RelevanceRankAccuracy',
  score: (ctx, g, mask) => {
    const order = rankPixels(relevanceMap(ctx.attribution, g, 'signed'));
    const k = mask.reduce((a, b) => a + b, 0);
    let hits = 0;
    for (let i = 0; i < k; i++) hits += mask[order[i]!]!;
    return { value: hits / k, details: { regionPixels: k } satisfies RelevanceRankDetails };
  },
});
