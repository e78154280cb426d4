import { relevanceMap } from '../image-scoring.js';
import type { EnergyPointingGameDetails } from '../types.js';
import { defineLocalizationMetric, positiveShareInside } from './define.js';

/**
 * Energy-based pointing game (Wang et al. 2020 "Score-CAM", §4.3): the share of the map's energy inside the
 * ground-truth region, Σ_{in} m / Σ m, on the saliency map with negative values clipped to 0.
 */
export const energyPointingGame = defineLocalizationMetric({
  id: 'energy-pointing-game',
  title: 'Energy-based pointing game',
  summary: 'Fraction of the (non-negative) saliency inside the ground-truth region; 0…1, higher is better.',
  source: 'Wang et al. 2020 "Score-CAM: Score-Weighted Visual Explanations for CNNs" (CVPR-W), energy-based pointing game',
  score: (ctx, g, mask) => ({
    value: positiveShareInside(relevanceMap(ctx.attribution, g), mask),
    details: { regionFraction: mask.reduce((a, b) => a + b, 0) / g.pixels } satisfies EnergyPointingGameDetails,
  }),
});
