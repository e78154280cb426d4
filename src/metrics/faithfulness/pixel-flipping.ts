import { defineCurveMetric } from '../curve.js';

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
});
