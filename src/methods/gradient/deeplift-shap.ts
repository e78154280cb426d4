/**
 * DeepLIFT-SHAP (Lundberg & Lee 2017; Captum DeepLiftShap): DeepLIFT against each of M references drawn from a
 * baseline distribution, averaged. All (input, reference) pairs run as paired batches of one explanation graph.
 */
import { LumenError } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { Tensor } from '../../tensor.js';
import { gaussianBlur } from './baselines.js';
import { Random } from '../../random.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Method, OptionsOf, ParsedOptions, Timings } from '../types.js';
import { PRECISION_OPTION } from './input-gradients.js';
import { resolveBatchTargets, seedRows } from '../../targets/index.js';
import { DEEPLIFT_RULES_OPTION, deepliftAttribution } from './deeplift.js';
import { shownValue } from '../../options.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';

export const BASELINE_DISTRIBUTIONS = ['uniform', 'gaussian', 'blur', 'zeros'] as const;
export type BaselineDistribution = (typeof BASELINE_DISTRIBUTIONS)[number];

/**
 * deeplift-shap's options as a caller passes them: the declared ones (deepliftShapInfo.options). The baselines are
 * declared as 'string' (a distribution's name, from flags and forms); the API also takes the references themselves as
 * a Tensor [M, …] (then `samples` is ignored).
 */
export type DeepLiftShapOptions = OptionsOf<typeof deepliftShapInfo.options> & { baselines?: BaselineDistribution | 'noise' | 'uniform-noise' | Tensor };

export const deepliftShapInfo = familyInfo('gradient', {
  id: 'deeplift-shap',
  aliases: ['deepliftshap', 'deep-shap'],
  title: 'DeepLIFT-SHAP',
  summary:
    'DeepLIFT averaged over many reference images drawn from a baseline distribution (Captum DeepLiftShap), approximating SHAP values: each value’s average contribution to the score change from a reference to this image.',
  needsBaseline: true,
  signed: true,
  cost: 'M × (forward + backward) per image, run as batches of input/reference pairs',
  reference: 'Captum 0.8.0 DeepLiftShap (mean of DeepLift over the baselines); checked as the mean of single-reference deeplift runs',
  options: [
    {
      name: 'baselines',
      type: 'string',
      default: 'uniform',
      description:
        "Reference distribution: uniform (random images, each value uniform over the valid pixel range; alias noise), gaussian (N(0, noiseStd²) in the normalized space), blur (the image blurred with a random σ ≤ maxBlur), zeros. API: also a Tensor of references [M, C, H, W].",
    },
    { name: 'samples', type: 'integer', default: 16, min: 1, description: 'Number of sampled references per image.' },
    { name: 'noiseStd', type: 'number', default: 1, min: 0, description: "Standard deviation of 'gaussian' references." },
    { name: 'maxBlur', type: 'number', default: 8, min: 0, description: "Largest blur σ in pixels for 'blur' references." },
    seedOption('Seed of the reference sampling.'),
    { ...DEEPLIFT_RULES_OPTION, description: "DeepLIFT rules, as for deeplift ('exact': completeness per reference)." },
    batchSizeOption(16, 'Input/reference pairs per run.'),
    PRECISION_OPTION,
  ],
});

/** deeplift-shap's options as explain receives them (checked and parsed against deepliftShapInfo.options). */
export type DeepLiftShapValues = ParsedOptions<typeof deepliftShapInfo.options>;

/**
 * M references for one image [1, C, H, W], from parsed options: explain's own, or a direct caller's through
 * `checkedOptionValues(deepliftShapInfo.options, options, who)` (src/methods/validate.ts), so every value reaching the
 * sampling has been checked once against the declared list.
 */
export function sampleBaselines(model: LumenModel, image: Tensor, options: DeepLiftShapValues, imageIndex: number): Tensor {
  const { samples: m, noiseStd, maxBlur, seed } = options;
  const given = options.baselines;
  const per = image.size;
  if (given instanceof Tensor) {
    if (given.size % per !== 0 || given.size === 0) {
      throw new LumenError('BAD_OPTION', `option baselines has shape [${given.dims.join(', ')}]; expected [M, ${image.dims.slice(1).join(', ')}]`, 2);
    }
    return given.reshape([given.size / per, ...image.dims.slice(1)]);
  }
  const named = given === 'noise' || given === 'uniform-noise' ? 'uniform' : given;
  const kind = BASELINE_DISTRIBUTIONS.find((d) => d === named);
  if (!kind) throw new LumenError('BAD_OPTION', `option baselines=${shownValue(named)}: expected ${BASELINE_DISTRIBUTIONS.join(', ')} or a Tensor`, 2);
  const rng = new Random(seed * 1_000_003 + imageIndex, 'xor');
  const out = new Float32Array(m * per);
  const [C, H, W] = [image.dims[1]!, image.dims[2]!, image.dims[3]!];
  const channelOf = (i: number): number => Math.floor(i / (H * W));
  const norm = model.normalization;
  const range = (c: number): [number, number] => {
    if (!norm) return [-1, 1];
    const [mean, std] = [norm.mean[c % norm.mean.length]!, norm.std[c % norm.std.length]!];
    return [(0 - mean) / std, (1 - mean) / std];
  };
  for (let s = 0; s < m; s++) {
    const ref = out.subarray(s * per, (s + 1) * per);
    if (kind === 'uniform') {
      for (let i = 0; i < per; i++) {
        const [lo, hi] = range(channelOf(i));
        ref[i] = lo + (hi - lo) * rng.uniform();
      }
    } else if (kind === 'gaussian') {
      for (let i = 0; i < per; i++) ref[i] = noiseStd * rng.normal();
    } else if (kind === 'blur') {
      const sigma = maxBlur * (1 - rng.uniform());
      ref.set(sigma > 0 ? gaussianBlur(image, sigma).data : image.data);
    }
  }
  return new Tensor(out, [m, ...image.dims.slice(1)]);
}

export const deepliftShap: Method = registerMethod({
  info: deepliftShapInfo,
  async explain(model, input, options): Promise<Explanation> {
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const targets = await resolveBatchTargets(model, input, options.target, timings);
    const n = input.dims[0]!;
    const per = input.size / n;
    const attribution = new Float32Array(input.size);
    const delta: number[] = [];
    const referenceScores: number[] = [];
    const scores: number[] = [];
    let references = 0;
    for (let i = 0; i < n; i++) {
      const image = input.item(i);
      const baselines = sampleBaselines(model, image, options, i);
      const m = baselines.dims[0]!;
      references = m;
      const repeated = Tensor.concat(Array.from({ length: m }, () => image));
      const seed = seedRows(targets, m, () => i);
      const r = await deepliftAttribution(model, repeated, baselines, { ...targets, seed, classes: new Array<number>(m).fill(targets.classes[i]!) }, { ...options, multiplyByInputs: true }, timings);
      const acc = new Float64Array(per);
      for (let s = 0; s < m; s++) for (let p = 0; p < per; p++) acc[p]! += r.attribution.data[s * per + p]!;
      for (let p = 0; p < per; p++) attribution[i * per + p] = acc[p]! / m;
      delta.push(r.delta.reduce((a, b) => a + b, 0) / m);
      scores.push(r.scores[0]!);
      referenceScores.push(r.referenceScores.reduce((a, b) => a + b, 0) / m);
      options.onProgress?.({ done: i + 1, total: n });
    }
    return {
      method: 'deeplift-shap',
      attribution: new Tensor(attribution, input.dims),
      targets: targets.classes,
      // mean over the references of Σ attr − (f(x) − f(reference)); Σ attribution ≈ f(x) − mean f(reference)
      extras: { convergenceDelta: delta, scores, meanReferenceScore: referenceScores, references },
      timings,
    };
  },
});
