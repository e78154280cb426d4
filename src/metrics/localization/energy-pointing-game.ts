import { geometryOf, regionMask, relevanceMap } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import type { Metric, EnergyPointingGameDetails } from '../types.js';

/**
 * Energy-based pointing game (Wang et al. 2020 "Score-CAM", §4.3): the share of the map's energy inside the
 * ground-truth region, Σ_{in} m / Σ m, on the saliency map with negative values clipped to 0.
 */
export const energyPointingGame: Metric = registerMetric({
  info: {
    id: 'energy-pointing-game',
    title: 'Energy-based pointing game',
    category: 'localization',
    higherIsBetter: true,
    summary: 'Fraction of the (non-negative) saliency inside the ground-truth region; 0…1, higher is better.',
    passes: 'none (uses the attribution only)',
    source: 'Wang et al. 2020 "Score-CAM: Score-Weighted Visual Explanations for CNNs" (CVPR-W), energy-based pointing game',
    needsExplainer: false,
    needsRegions: true,
    options: [],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.input);
    const mask = regionMask(ctx.region, g, 'energy-pointing-game');
    const map = relevanceMap(ctx.attribution, g);
    let inside = 0;
    let total = 0;
    map.forEach((v, p) => {
      const e = Math.max(0, v);
      total += e;
      if (mask[p]) inside += e;
    });
    return { value: total > 0 ? inside / total : NaN, details: { regionFraction: mask.reduce((a, b) => a + b, 0) / g.pixels } satisfies EnergyPointingGameDetails };
  },
});
