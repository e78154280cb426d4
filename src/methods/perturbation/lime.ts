/**
 * LIME for images (Ribeiro et al. 2016), following the `lime` package's LimeImageExplainer:
 * - features = superpixels; samples = random on/off vectors (each segment on with probability 1/2), the first sample
 *   all on (the original image);
 * - a switched-off segment shows the hide image (default: the segment's mean colour, lime's hide_color=None);
 * - sample weight = sqrt(exp(−d² / width²)) with d = cosine distance between the sample and the all-on vector
 *   (d = 1 for the all-off sample, as sklearn's cosine distance of a zero vector), width 0.25;
 * - local model = weighted ridge regression with intercept (sklearn Ridge, alpha = 1), solved exactly in float64
 *   (weighted centring, then (XᵀWX + αI)β = XᵀWy); score = weighted R² of the local model on the samples.
 */
import { LumenError } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import type { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionValues } from '../types.js';
import { hideOptionSpecs, PerturbationRun, segmentValues } from './perturbation-run.js';
import { Rng } from '../../random.js';
import { solveLinearOrRidge } from '../../math/linear-solve.js';
import { SEGMENTATION_OPTIONS, segmentImage } from './segmentation.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';

export const limeInfo = familyInfo('perturbation', {
  id: 'lime',
  aliases: ['lime-image'],
  title: 'LIME',
  summary:
    'Weights of a weighted linear model fitted to the explained score on random on/off combinations of superpixels: how much each superpixel being visible adds to the score, locally.',
  output: 'map',
  cost: 'numSamples forward passes per image (default 1000; the first sample is the original image)',
  reference: 'lime 0.2 LimeImageExplainer (random masks, first all-on, cosine-distance exponential kernel, width 0.25, Ridge alpha=1)',
  caveat: 'LIME is a local linear surrogate: read its R² before trusting the weights.',
  options: [
    { name: 'numSamples', type: 'integer', default: 1000, min: 2, description: 'Random on/off samples (forward passes) per image.' },
    { name: 'kernelWidth', type: 'number', default: 0.25, min: 0, exclusiveMin: true, description: 'Width of the exponential kernel on the cosine distance.' },
    { name: 'alpha', type: 'number', default: 1, min: 0, description: 'Ridge regularization of the local linear model (sklearn Ridge alpha; 0 = ordinary weighted least squares).' },
    ...SEGMENTATION_OPTIONS,
    ...hideOptionSpecs('mean'),
    seedOption('Seed of the random samples (same seed ⇒ identical result).'),
    batchSizeOption(32, 'Samples per forward pass.'),
  ],
});

export interface WeightedRidge {
  coefficients: Float64Array;
  intercept: number;
  /** Weighted R² on the fitting data. */
  score: number;
}

/**
 * Weighted ridge regression with an unpenalized intercept (sklearn Ridge(fit_intercept=True) with sample_weight).
 * `x` is n×m row-major.
 */
export function weightedRidge(x: Float64Array | Uint8Array, y: Float64Array, w: Float64Array, n: number, m: number, alpha: number): WeightedRidge {
  let sw = 0;
  let ym = 0;
  const xm = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    sw += wi;
    ym += wi * y[i]!;
    for (let j = 0; j < m; j++) xm[j]! += wi * x[i * m + j]!;
  }
  // (LIME's own weights always give the all-on sample 1: a direct caller's weights)
  if (!(sw > 0)) throw new LumenError('BAD_OPTION', `weightedRidge: the sample weights sum to ${sw}; at least one must be positive`, 2);
  ym /= sw;
  for (let j = 0; j < m; j++) xm[j]! /= sw;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  const xc = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (wi === 0) continue;
    for (let j = 0; j < m; j++) xc[j] = x[i * m + j]! - xm[j]!;
    const yc = y[i]! - ym;
    for (let j = 0; j < m; j++) {
      const v = wi * xc[j]!;
      b[j]! += v * yc;
      for (let k = j; k < m; k++) a[j * m + k]! += v * xc[k]!;
    }
  }
  for (let j = 0; j < m; j++) {
    a[j * m + j]! += alpha;
    for (let k = 0; k < j; k++) a[j * m + k] = a[k * m + j]!;
  }
  // singular without regularization (e.g. alpha = 0 and a segment always on): a vanishing ridge
  const beta = solveLinearOrRidge(a, b, m);
  let intercept = ym;
  for (let j = 0; j < m; j++) intercept -= xm[j]! * beta[j]!;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    let pred = intercept;
    for (let j = 0; j < m; j++) pred += x[i * m + j]! * beta[j]!;
    ssRes += w[i]! * (y[i]! - pred) ** 2;
    ssTot += w[i]! * (y[i]! - ym) ** 2;
  }
  // sklearn's r2_score returns 1 for a perfect fit of constant data, 0 for an imperfect one.
  const score = ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0;
  return { coefficients: beta, intercept, score };
}

/**
 * lime's sample weights: √exp(−d²/width²) with d the cosine distance between each sample (row of the n×S 0/1
 * matrix) and the all-on first sample: 1 − k/√(k·S) = 1 − √(k/S) for k segments on, 1 for the all-off sample.
 */
export function limeKernelWeights(data: Uint8Array, n: number, S: number, kernelWidth: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let j = 0; j < S; j++) k += data[i * S + j]!;
    const d = k === 0 ? 1 : 1 - Math.sqrt(k / S);
    // d = 0 (all on) weighs exp(0) = 1 for every width, also one whose square underflows to 0 (0/0 otherwise)
    w[i] = d === 0 ? 1 : Math.sqrt(Math.exp(-(d * d) / (kernelWidth * kernelWidth)));
  }
  return w;
}

async function explainLime(model: LumenModel, input: Tensor, options: ExplainOptions & OptionValues<typeof limeInfo.options>): Promise<Explanation> {
  const run = await PerturbationRun.start(model, input, options);
  // kernelWidth > 0 (declared): a tiny width weighs the all-on sample 1 and the others 0, lime's limit as width → 0
  const { numSamples, alpha, kernelWidth } = options;
  run.plan(numSamples * run.images.length);
  const rng = new Rng(options.seed);

  const weights: number[] = [];
  const intercepts: number[] = [];
  const scores: number[] = [];
  const localPredictions: number[] = [];
  const segmentations = run.images.map((image) => segmentImage(image, options, model.normalization));
  const painted = await segmentValues(run, segmentations, options, async (image, { labels, count: S }, hidden) => {
    // Samples: row 0 all on, the others uniform random bits (lime: randint(0, 2)).
    const data = new Uint8Array(numSamples * S);
    data.fill(1, 0, S);
    for (let i = S; i < data.length; i++) data[i] = rng.uint32() >>> 31;

    const y = await run.scoreCoalitions(image, labels, numSamples, (i) => data.subarray(i * S, (i + 1) * S), hidden, 'lime');

    const w = limeKernelWeights(data, numSamples, S, kernelWidth);
    const fit = weightedRidge(data, y, w, numSamples, S, alpha);
    let local = fit.intercept;
    for (let j = 0; j < S; j++) local += fit.coefficients[j]!;
    weights.push(...fit.coefficients);
    intercepts.push(fit.intercept);
    scores.push(fit.score);
    localPredictions.push(local);
    return fit.coefficients;
  });
  return run.finish('lime', painted.maps, 1, {
    segments: painted.segments,
    weights,
    intercept: intercepts,
    score: scores,
    localPrediction: localPredictions,
    segmentCounts: painted.segmentCounts,
  });
}

export const lime: Method = registerMethod({ info: limeInfo, explain: explainLime });
