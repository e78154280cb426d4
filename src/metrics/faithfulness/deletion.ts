import { defineCurveMetric } from '../curve.js';

/**
 * Deletion (Petsiuk, Das, Saenko 2018, RISE): remove pixels most-important-first and watch the target's
 * probability fall; a faithful map makes it fall fast, so a LOW area under the curve is good.
 */
export const deletion = defineCurveMetric({
  id: 'deletion',
  title: 'Deletion AUC',
  higherIsBetter: false,
  summary: 'Area under the softmax probability of the target as pixels are replaced by the baseline, most relevant first (fraction axis 0…1). 0…1, lower is better.',
  source: 'Petsiuk et al. 2018 "RISE" (BMVC), deletion metric; CausalMetric in github:eclique/RISE',
  moved: 'removed',
  baseline: {
    choices: ['zero', 'mean'],
    description: "Value of removed pixels in the normalized input space: 'zero' (= the dataset mean colour after normalization) or the image's per-channel 'mean'",
  },
});
