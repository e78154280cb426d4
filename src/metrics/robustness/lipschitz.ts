import { gaussianSigmaOption } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import { norm2 } from '../stats.js';
import { Random } from '../../random.js';
import type { Metric, LipschitzDetails } from '../types.js';
import { distance, explainPerturbed } from './perturb.js';

/**
 * Local Lipschitz estimate (Alvarez-Melis & Jaakkola 2018; Quantus LocalLipschitzEstimate):
 * max_i ‖e(x) − e(x + δ_i)‖₂ / ‖δ_i‖₂ with δ_i ~ N(0, σ²) per input value.
 */
export const lipschitz: Metric = registerMetric({
  info: {
    id: 'lipschitz',
    title: 'Local Lipschitz estimate',
    category: 'robustness',
    higherIsBetter: false,
    summary: 'Largest ratio of attribution change to input change, ‖e(x) − e(x+δ)‖₂ / ‖δ‖₂, over Gaussian perturbations; ≥ 0 (attribution units per input unit), lower is better.',
    passes: 'samples × (cost of one explanation) (default 10)',
    source: 'Alvarez-Melis & Jaakkola 2018 "On the Robustness of Interpretability Methods"; Quantus LocalLipschitzEstimate (perturb_std 0.1, Euclidean distances; Quantus samples 200, here 10 by default)',
    needsExplainer: true,
    needsRegions: false,
    options: [
      { name: 'samples', type: 'integer', min: 1, max: 100_000, default: 10, description: 'Perturbed copies' },
      // the ratio divides by ‖δ‖, and δ is float32 (the input's type): from σ = 2⁻¹²⁶, float32's smallest normal
      // number, ‖δ‖ > 0; far below it every δ rounds to 0 (0/0). Infidelity's σ, the same option, may be 0.
      { ...gaussianSigmaOption(0.1), min: 2 ** -126 },
    ],
  },
  async compute(ctx) {
    const { samples, sigma } = ctx.options;
    const random = new Random(ctx.seed);
    const { deltas, attributions } = await explainPerturbed(ctx, 'lipschitz', samples, () => random.gaussian(0, sigma));
    const ratios = attributions.map((a, i) => distance(a, ctx.attribution.data) / norm2(deltas[i]!));
    return { value: Math.max(...ratios), details: { ratios } satisfies LipschitzDetails };
  },
});
