import { defineCurveMetric } from '../curve.js';
import { Random } from '../../random.js';

/**
 * Pixel flipping (Bach et al. 2015, LRP paper; Quantus PixelFlipping): flip pixels most-relevant-first to random
 * values and record the target's probability. Unlike deletion the flipped value is noise (uniform over the
 * image's own value range per channel, fixed per pixel and seeded), as in Bach et al.
 */
export const pixelFlipping = defineCurveMetric({
  id: 'pixel-flipping',
  title: 'Pixel flipping AUC',
  higherIsBetter: false,
  summary: 'Area under the target probability as pixels are flipped to random values most relevant first (fraction axis 0…1); 0…1, lower is better.',
  source: 'Bach et al. 2015 "On Pixel-Wise Explanations … by Layer-Wise Relevance Propagation" (PLoS ONE); Quantus PixelFlipping',
  moved: 'flipped',
  baseline: {
    choices: ['uniform', 'zero'],
    description: "'uniform': random values in the channel's [min, max]; 'zero': 0 in the normalized space",
  },
  ends(ctx, g, baseline) {
    const fill = new Float32Array(ctx.input.size);
    if (baseline === 'uniform') {
      const random = new Random(ctx.seed);
      for (let c = 0; c < g.channels; c++) {
        let lo = Infinity;
        let hi = -Infinity;
        for (let p = 0; p < g.pixels; p++) {
          const v = ctx.input.data[g.offset(c, p)]!;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        for (let p = 0; p < g.pixels; p++) fill[g.offset(c, p)] = random.uniform(lo, hi);
      }
    }
    return { start: ctx.input.data, fill, baseline };
  },
});
