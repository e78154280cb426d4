import { relevanceMap } from '../image-scoring.js';
import { defineLocalizationMetric, positiveShareInside } from './define.js';

/**
 * Relevance mass accuracy (Arras, Osman, Samek 2022 "CLEVR-XAI", §4): relevance summed over channels (signed),
 * only positive values counted, R_in / R_total.
 */
export const relevanceMass = defineLocalizationMetric({
  id: 'relevance-mass',
  title: 'Relevance mass accuracy',
  summary: 'Share of the positive relevance (channels summed, signed) inside the ground-truth region; 0…1, higher is better.',
  source: 'Arras et al. 2022 "CLEVR-XAI: A benchmark dataset for the ground truth evaluation of neural network explanations" (Information Fusion); Quantus RelevanceMassAccuracy',
  score: (ctx, g, mask) => ({ value: positiveShareInside(relevanceMap(ctx.attribution, g, 'signed'), mask), details: {} }),
});
