import { geometryOf, relevanceMap, scoreImages, scoreOriginal } from '../image-scoring.js';
import { numberInRange } from '../../options.js';
import { registerMetric } from '../registry.js';
import { pearson } from '../stats.js';
import { Random } from '../../random.js';
import type { Metric, FaithfulnessCorrelationDetails } from '../types.js';

/**
 * Faithfulness correlation (Bhatt, Weller, Moura 2020; Quantus FaithfulnessCorrelation): for `runs` random pixel
 * subsets S of size `subsetSize`, replace S by the baseline and correlate (Pearson) Σ_{i∈S} a_i with the drop
 * f(x) − f(x_S). Attributions are summed over channels (signed).
 */
export const faithfulnessCorrelation: Metric = registerMetric({
  info: {
    id: 'faithfulness-correlation',
    title: 'Faithfulness correlation',
    category: 'faithfulness',
    higherIsBetter: true,
    summary: 'Pearson correlation over random pixel subsets between the attribution sum of the subset and the drop of the target logit when the subset is removed; −1…1, higher is better.',
    passes: '1 + runs forward passes (default 101)',
    source: 'Bhatt et al. 2020 "Evaluating and Aggregating Feature-based Model Explanations" (IJCAI); Quantus FaithfulnessCorrelation (nr_runs 100, subset 224 of 224², baseline black, Pearson)',
    needsExplainer: false,
    needsRegions: false,
    options: [
      { name: 'runs', type: 'integer', min: 2, max: 1_000_000, default: 100, description: 'Random subsets' },
      { name: 'subsetSize', type: 'integer', min: 1, description: 'Pixels per subset (default ceil(H·W/224): the 224-of-224² fraction of Quantus)' },
      { name: 'baseline', type: 'enum', choices: ['zero', 'min'], default: 'zero', description: "Replacement value: 0 in the normalized space, or the image's minimum ('black' for a normalized image)" },
      { name: 'output', type: 'enum', choices: ['logit', 'probability'], default: 'logit', description: 'Score of the target class (Quantus default: no softmax)' },
    ],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.input);
    const { runs, baseline, output } = ctx.options;
    // default and bound depend on the image
    const size = numberInRange(ctx.options, 'subsetSize', Math.ceil(g.pixels / 224), 1, g.pixels, true);
    const fillValue = baseline === 'min' ? ctx.input.data.reduce((a, b) => Math.min(a, b), Infinity) : 0;
    const relevance = relevanceMap(ctx.attribution, g, 'signed');
    const random = new Random(ctx.seed);
    const subsets = Array.from({ length: runs }, () => random.sample(g.pixels, size));
    const base = await scoreOriginal(ctx, output);
    const scores = await scoreImages(ctx, runs, (i, out) => {
      out.set(ctx.input.data);
      for (const p of subsets[i]!) for (let c = 0; c < g.channels; c++) out[g.offset(c, p)] = fillValue;
    }, output, (done) => ctx.progress(done, runs));
    const drops = Array.from(scores, (s) => base - s);
    const sums = subsets.map((s) => s.reduce((a, p) => a + relevance[p]!, 0));
    return { value: pearson(sums, drops), details: { runs, subsetSize: size } satisfies FaithfulnessCorrelationDetails };
  },
});
