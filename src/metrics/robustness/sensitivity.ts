import type { OptionValues } from '../../methods/types.js';
import { registerMetric } from '../registry.js';
import { mean, norm2 } from '../stats.js';
import { Random } from '../../random.js';
import type { Metric, MetricContext, MetricScore, SensitivityDetails } from '../types.js';
import { distance, explainPerturbed } from './perturb.js';

/**
 * Sensitivity (Yeh et al. 2019; Captum metrics.sensitivity_max with its default perturbation): δ uniform in
 * [−r, r] per input value, s_i = ‖e(x + δ_i) − e(x)‖_F / ‖e(x)‖_F; max-sensitivity = max_i s_i,
 * avg-sensitivity = mean_i s_i (Quantus AvgSensitivity).
 */
async function sensitivities(ctx: MetricContext<OptionValues<typeof options>>, metric: string): Promise<number[]> {
  const { samples, radius } = ctx.options;
  const random = new Random(ctx.seed);
  const { attributions } = await explainPerturbed(ctx, metric, samples, () => random.uniform(-radius, radius));
  const original = ctx.attribution.data;
  const scale = norm2(original);
  return attributions.map((a) => (scale > 0 ? distance(a, original) / scale : distance(a, original)));
}

const options = [
  { name: 'samples', type: 'integer', min: 1, max: 100_000, default: 10, description: 'Perturbed copies (Captum n_perturb_samples)' },
  { name: 'radius', type: 'number', min: 0, default: 0.02, description: 'Uniform noise radius in the normalized input space (Captum perturb_radius)' },
] as const;

function score(values: number[], pick: 'max' | 'mean'): MetricScore {
  const v = pick === 'max' ? Math.max(...values) : mean(values);
  return { value: v, details: { samples: values } satisfies SensitivityDetails };
}

export const maxSensitivity: Metric = registerMetric({
  info: {
    id: 'max-sensitivity',
    title: 'Max-sensitivity',
    category: 'robustness',
    higherIsBetter: false,
    summary: 'Largest relative change ‖e(x+δ) − e(x)‖/‖e(x)‖ of the attribution under uniform input noise of radius r; ≥ 0, lower is better.',
    passes: 'samples × (cost of one explanation) (default 10)',
    source: 'Yeh et al. 2019 (NeurIPS); Captum 0.8 captum.metrics.sensitivity_max (perturb_radius 0.02, n_perturb_samples 10, Frobenius norm, normalized by ‖e(x)‖)',
    needsExplainer: true,
    needsRegions: false,
    options,
  },
  compute: async (ctx) => score(await sensitivities(ctx, 'max-sensitivity'), 'max'),
});

export const avgSensitivity: Metric = registerMetric({
  info: {
    id: 'avg-sensitivity',
    title: 'Avg-sensitivity',
    category: 'robustness',
    higherIsBetter: false,
    summary: 'Mean relative change ‖e(x+δ) − e(x)‖/‖e(x)‖ of the attribution under uniform input noise of radius r; ≥ 0, lower is better.',
    passes: 'samples × (cost of one explanation) (default 10)',
    source: 'Yeh et al. 2019 (NeurIPS); Quantus AvgSensitivity, with Captum sensitivity_max\'s perturbation and normalization',
    needsExplainer: true,
    needsRegions: false,
    options,
  },
  compute: async (ctx) => score(await sensitivities(ctx, 'avg-sensitivity'), 'mean'),
});
