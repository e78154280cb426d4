import { attributionAt, drawPerturbations, gaussianSigmaOption, geometryOf, scoreImages, scoreOriginal } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import { Random } from '../../random.js';
import type { Metric, InfidelityDetails } from '../types.js';

/**
 * Infidelity (Yeh et al. 2019; Captum metrics.infidelity): E_I[(Iᵀa − (f(x) − f(x − I)))²] with I ~ N(0, σ²)
 * per input value. A one-channel map is broadcast over the channels (Iᵀa = Σ_p a_p Σ_c I_{c,p}).
 * details.normalized is Captum's normalize=True variant (a scaled by β = E[Iᵀa·Δf] / E[(Iᵀa)²]).
 */
export const infidelity: Metric = registerMetric({
  info: {
    id: 'infidelity',
    title: 'Infidelity',
    category: 'faithfulness',
    higherIsBetter: false,
    summary: 'Mean squared difference between Iᵀa and the output change f(x) − f(x − I) over Gaussian perturbations I; ≥ 0 (in squared logit units), lower is better.',
    passes: '1 + samples forward passes (default 11)',
    source: 'Yeh et al. 2019 "On the (In)fidelity and Sensitivity of Explanations" (NeurIPS); Captum 0.8 captum.metrics.infidelity (n_perturb_samples 10; noise σ 0.003 as in its docstring example)',
    needsExplainer: false,
    needsRegions: false,
    options: [
      { name: 'samples', type: 'integer', min: 1, max: 1_000_000, default: 10, description: 'Perturbations' },
      gaussianSigmaOption(0.003),
      { name: 'output', type: 'enum', choices: ['logit', 'probability'], default: 'logit', description: 'f: target logit (Captum forward_func on a classifier) or probability' },
    ],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.input);
    const { samples, sigma, output } = ctx.options;
    const attr = attributionAt(ctx.attribution, g);
    const random = new Random(ctx.seed);
    const noises = drawPerturbations(ctx.input, samples, () => random.gaussian(0, sigma));
    const dots = noises.map((noise) => {
      let s = 0;
      for (let c = 0; c < g.channels; c++) for (let p = 0; p < g.pixels; p++) {
        const o = g.offset(c, p);
        s += noise[o]! * attr(c, p);
      }
      return s;
    });
    const base = await scoreOriginal(ctx, output);
    const perturbed = await scoreImages(ctx, samples, (i, out) => {
      const noise = noises[i]!;
      for (let j = 0; j < out.length; j++) out[j] = ctx.input.data[j]! - noise[j]!;
    }, output, (done) => ctx.progress(done, samples));
    const deltas = Array.from(perturbed, (s) => base - s);
    const sq = (beta: number): number => dots.reduce((acc, d, i) => acc + (beta * d - deltas[i]!) ** 2, 0) / samples;
    const dd = dots.reduce((a, d, i) => a + d * deltas[i]!, 0) / samples;
    const d2 = dots.reduce((a, d) => a + d * d, 0) / samples;
    return { value: sq(1), details: { normalized: d2 > 0 ? sq(dd / d2) : NaN, sigma, samples } satisfies InfidelityDetails };
  },
});
