import { geometryOf, relevanceMap, scoreImages } from '../image-scoring.js';
import type { OptionValues } from '../../methods/types.js';
import { registerMetric } from '../registry.js';
import { minMaxNormalize } from '../stats.js';
import type { AvgDropDetails, Metric, MetricContext } from '../types.js';

/**
 * Average Drop and Increase in Confidence (Chattopadhay et al. 2018, Grad-CAM++ §5.1): the explanation map,
 * min-max scaled to [0,1], is multiplied into the image (E = M ⊙ x, normalized input space, as pytorch-grad-cam's
 * CamMultImageConfidenceChange); Y = p(target | x), O = p(target | E).
 * drop = max(0, Y − O) / Y × 100; increase = 1 when O > Y.
 */
async function maskedConfidence(ctx: MetricContext<OptionValues<typeof options>>): Promise<AvgDropDetails> {
  const g = geometryOf(ctx.input);
  const { output } = ctx.options;
  const mask = minMaxNormalize(relevanceMap(ctx.attribution, g));
  const [y, o] = await scoreImages(ctx, 2, (i, out) => {
    out.set(ctx.input.data);
    if (i === 1) for (let c = 0; c < g.channels; c++) for (let p = 0; p < g.pixels; p++) out[g.offset(c, p)] *= mask[p]!;
  }, output);
  return { original: y!, masked: o!, increase: o! > y! ? 1 : 0 };
}

const options = [{ name: 'output', type: 'enum', choices: ['probability', 'logit'], default: 'probability', description: 'Score of the target class' }] as const;

/** Both metrics score the same two passes (image, map-masked image) and differ only in the number they report. */
function maskedConfidenceMetric(id: string, title: string, higherIsBetter: boolean, summary: string, value: (d: AvgDropDetails) => number): Metric {
  return registerMetric({
    info: {
      id,
      title,
      category: 'faithfulness',
      higherIsBetter,
      summary,
      passes: '2 forward passes',
      source: 'Chattopadhay et al. 2018 "Grad-CAM++" (WACV) §5.1, Average Drop % and % Increase in Confidence; pytorch-grad-cam CamMultImageConfidenceChange',
      needsExplainer: false,
      needsRegions: false,
      options,
    },
    async compute(ctx) {
      const d = await maskedConfidence(ctx);
      return { value: value(d), details: d };
    },
  });
}

export const avgDrop = maskedConfidenceMetric(
  'avg-drop',
  'Average Drop (%)',
  false,
  'max(0, Y − O)/Y × 100 with Y the target probability on the image and O on the image masked by the [0,1]-scaled map; 0…100, lower is better.',
  (d) => (d.original > 0 ? (Math.max(0, d.original - d.masked) / d.original) * 100 : NaN),
);

export const increaseInConfidence = maskedConfidenceMetric(
  'increase-in-confidence',
  'Increase in Confidence',
  true,
  '1 when the target probability on the map-masked image exceeds the one on the image, else 0; the mean over images is the paper\'s "% increase in confidence" / 100. Higher is better.',
  (d) => d.increase,
);
