import { choiceOption, geometryOf, relevanceMap, scoreImages } from '../common.js';
import { registerMetric } from '../registry.js';
import { minMaxNormalize } from '../stats.js';
import type { Metric, AvgDropDetails } from '../types.js';

/**
 * Average Drop and Increase in Confidence (Chattopadhay et al. 2018, Grad-CAM++ §5.1): the explanation map,
 * min-max scaled to [0,1], is multiplied into the image (E = M ⊙ x, normalized input space, as pytorch-grad-cam's
 * CamMultImageConfidenceChange); Y = p(target | x), O = p(target | E).
 * drop = max(0, Y − O) / Y × 100; increase = 1 when O > Y.
 */
export const avgDrop: Metric = registerMetric({
  info: {
    id: 'avg-drop',
    title: 'Average Drop (%)',
    category: 'faithfulness',
    higherIsBetter: false,
    summary: 'max(0, Y − O)/Y × 100 with Y the target probability on the image and O on the image masked by the [0,1]-scaled map; 0…100, lower is better. details.increase is the Increase-in-Confidence indicator (mean over images = the paper\'s %/100).',
    passes: '2 forward passes',
    source: 'Chattopadhay et al. 2018 "Grad-CAM++" (WACV), Average Drop % and % Increase in Confidence',
    needsExplainer: false,
    needsRegions: false,
    options: [{ name: 'output', type: 'enum', choices: ['probability', 'logit'], default: 'probability', description: 'Score of the target class' }],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.model, ctx.input);
    const output = choiceOption(ctx.options, 'output', ['probability', 'logit'] as const, 'probability');
    const mask = minMaxNormalize(relevanceMap(ctx.attribution, g));
    const [y, o] = await scoreImages(ctx, 2, (i, out) => {
      out.set(ctx.input.data);
      if (i === 1) for (let c = 0; c < g.channels; c++) for (let p = 0; p < g.pixels; p++) out[g.offset(c, p)] *= mask[p]!;
    }, output);
    const drop = y! > 0 ? (Math.max(0, y! - o!) / y!) * 100 : NaN;
    return { value: drop, details: { original: y!, masked: o!, increase: o! > y! ? 1 : 0 } satisfies AvgDropDetails };
  },
});
