/**
 * KernelSHAP (Lundberg & Lee 2017) over superpixels, following the `shap` package's KernelExplainer:
 * - players = segments (M); a switched-off segment shows the hide image (default constant 0 in normalized space);
 * - coalition sampling: subset sizes are enumerated completely from both ends (sizes 1 and M−1, then 2 and M−2, …)
 *   while the sample budget covers a size's share of the Shapley kernel weight; the remaining budget is drawn at
 *   random from the remaining sizes (each draw adds the coalition and its complement; repeats add weight);
 * - Shapley kernel weight per size k ∝ (M−1)/(k(M−k)); the random samples share the weight left after the
 *   enumerated sizes;
 * - solve: weighted least squares with the efficiency constraint Σφ = f(x) − f(∅) enforced exactly by eliminating
 *   the last variable (as KernelExplainer.solve does). The l1 feature selection shap applies when under 20 % of the
 *   coalitions are evaluated is not done here (all segments keep a value).
 * With numSamples ≥ 2^M − 2 every coalition is evaluated and φ are the exact Shapley values.
 */
import type { LumenModel } from '../../model.js';
import type { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionValues } from '../types.js';
import { hideOptionSpecs, PerturbationRun, segmentValues } from './perturbation-run.js';
import { Rng } from '../../random.js';
import { binomial } from '../../math/binomial.js';
import { solveLinearOrRidge } from '../../math/linear-solve.js';
import { SEGMENTATION_OPTIONS, segmentImage } from './segmentation.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';

export const kernelShapInfo = familyInfo('perturbation', {
  id: 'kernel-shap',
  aliases: ['kernelshap', 'shap'],
  title: 'KernelSHAP',
  summary:
    'Shapley values of the superpixels, estimated by a Shapley-kernel weighted regression over coalitions: each segment’s fair share of f(x) − f(all hidden); the values sum to that difference exactly.',
  output: 'map',
  cost: '1 + min(numSamples, 2^M − 2) forward passes per image; numSamples default 2·M + 2048 (M = number of segments)',
  reference: 'shap KernelExplainer (coalition sampling and constrained solve; no l1 feature selection)',
  options: [
    { name: 'numSamples', type: 'integer', min: 1, description: "Coalitions evaluated per image (shap's nsamples); default 2·M + 2048, capped at 2^M − 2." },
    ...SEGMENTATION_OPTIONS,
    ...hideOptionSpecs('constant'),
    seedOption('Seed of the random coalitions (same seed ⇒ identical result).'),
    batchSizeOption(32, 'Coalitions per forward pass.'),
  ],
});

/**
 * Coalitions (rows of 0/1, M columns) and their kernel weights, as KernelExplainer builds them: `requested` of them
 * (shap's default 2·M + 2048 when undefined; the image and tabular KernelSHAP both take it from here).
 */
export function kernelShapCoalitions(M: number, requested: number | undefined, rng: Rng): { masks: Uint8Array; weights: Float64Array; count: number } {
  const maxSamples = M <= 30 ? 2 ** M - 2 : 2 ** 30;
  const nsamples = Math.min(requested ?? 2 * M + 2048, maxSamples);
  const masks: Uint8Array[] = [];
  const weights: number[] = [];
  const add = (mask: Uint8Array, w: number): void => {
    masks.push(mask.slice());
    weights.push(w);
  };
  const numSubsetSizes = Math.ceil((M - 1) / 2);
  const numPaired = Math.floor((M - 1) / 2);
  const weightVector = Array.from({ length: numSubsetSizes }, (_, i) => (M - 1) / ((i + 1) * (M - i - 1)));
  for (let i = 0; i < numPaired; i++) weightVector[i]! *= 2;
  const total = weightVector.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weightVector.length; i++) weightVector[i]! /= total;

  let numFull = 0;
  let left = nsamples;
  const remaining = weightVector.slice();
  const mask = new Uint8Array(M);
  for (let size = 1; size <= numSubsetSizes; size++) {
    let nsubsets = binomial(M, size);
    if (size <= numPaired) nsubsets *= 2;
    if ((left * remaining[size - 1]!) / nsubsets < 1 - 1e-8) break;
    numFull++;
    left -= nsubsets;
    if (remaining[size - 1]! < 1) {
      const scale = 1 - remaining[size - 1]!;
      for (let i = 0; i < remaining.length; i++) remaining[i]! /= scale;
    }
    let w = weightVector[size - 1]! / binomial(M, size);
    if (size <= numPaired) w /= 2;
    // All subsets of this size in lexicographic order (itertools.combinations).
    const idx = Array.from({ length: size }, (_, i) => i);
    for (;;) {
      mask.fill(0);
      for (const i of idx) mask[i] = 1;
      add(mask, w);
      if (size <= numPaired) {
        for (let i = 0; i < M; i++) mask[i] = 1 - mask[i]!;
        add(mask, w);
      }
      let i = size - 1;
      while (i >= 0 && idx[i] === M - size + i) i--;
      if (i < 0) break;
      idx[i]!++;
      for (let j = i + 1; j < size; j++) idx[j] = idx[j - 1]! + 1;
    }
  }

  const nfixed = masks.length;
  let samplesLeft = nsamples - nfixed;
  if (numFull !== numSubsetSizes && samplesLeft > 0) {
    const rest = weightVector.slice();
    for (let i = 0; i < numPaired; i++) rest[i]! /= 2; // two samples per draw below
    const probs = rest.slice(numFull);
    const psum = probs.reduce((a, b) => a + b, 0);
    const cumulative = new Float64Array(probs.length);
    let acc = 0;
    for (let i = 0; i < probs.length; i++) cumulative[i] = acc += probs[i]! / psum;
    const used = new Map<string, number>();
    const maxDraws = 4 * samplesLeft;
    for (let draw = 0; samplesLeft > 0 && draw < maxDraws; draw++) {
      const u = rng.next();
      let ind = 0;
      while (ind < probs.length - 1 && u >= cumulative[ind]!) ind++;
      const size = ind + numFull + 1;
      mask.fill(0);
      const perm = rng.permutation(M);
      for (let i = 0; i < size; i++) mask[perm[i]!] = 1;
      const key = String.fromCharCode(...mask);
      const seen = used.get(key);
      if (seen === undefined) {
        used.set(key, masks.length);
        samplesLeft--;
        add(mask, 1);
      } else {
        weights[seen]! += 1;
      }
      if (samplesLeft > 0 && size <= numPaired) {
        for (let i = 0; i < M; i++) mask[i] = 1 - mask[i]!;
        if (seen === undefined) {
          samplesLeft--;
          add(mask, 1);
        } else {
          weights[seen + 1]! += 1;
        }
      }
    }
    const weightLeft = weightVector.slice(numFull).reduce((a, b) => a + b, 0);
    let randomSum = 0;
    for (let i = nfixed; i < weights.length; i++) randomSum += weights[i]!;
    for (let i = nfixed; i < weights.length; i++) weights[i]! *= weightLeft / randomSum;
  }
  const count = masks.length;
  const flat = new Uint8Array(count * M);
  masks.forEach((m, i) => flat.set(m, i * M));
  return { masks: flat, weights: Float64Array.from(weights), count };
}

/**
 * φ from coalition outputs: weighted least squares of (y − f∅) on the masks with Σφ = fx − f∅ enforced by
 * eliminating the last variable (KernelExplainer.solve).
 */
export function solveShapley(masks: Uint8Array, weights: Float64Array, y: Float64Array, count: number, M: number, fx: number, fnull: number): Float64Array {
  const total = fx - fnull;
  const phi = new Float64Array(M);
  if (M === 1) {
    phi[0] = total;
    return phi;
  }
  const m = M - 1;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  const e = new Float64Array(m);
  for (let i = 0; i < count; i++) {
    const row = i * M;
    const last = masks[row + m]!;
    const target = y[i]! - fnull - last * total;
    for (let j = 0; j < m; j++) e[j] = masks[row + j]! - last;
    const w = weights[i]!;
    for (let j = 0; j < m; j++) {
      if (e[j] === 0) continue;
      const v = w * e[j]!;
      b[j]! += v * target;
      for (let k = 0; k < m; k++) a[j * m + k]! += v * e[k]!;
    }
  }
  // too few coalitions to determine every φ: shap falls back to a pseudo-inverse, a vanishing ridge does the same job
  const sol = solveLinearOrRidge(a, b, m);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    phi[j] = sol[j]!;
    sum += sol[j]!;
  }
  phi[m] = total - sum;
  for (let j = 0; j < M; j++) if (Math.abs(phi[j]!) < 1e-10) phi[j] = 0;
  return phi;
}

async function explainKernelShap(model: LumenModel, input: Tensor, options: ExplainOptions & OptionValues<typeof kernelShapInfo.options>): Promise<Explanation> {
  const run = await PerturbationRun.start(model, input, options);
  const rng = new Rng(options.seed);
  const segmentations = run.images.map((image) => segmentImage(image, options, model.normalization));
  const plans = segmentations.map(({ count: M }) =>
    M === 1 ? { masks: new Uint8Array(0), weights: new Float64Array(0), count: 0 } : kernelShapCoalitions(M, options.numSamples, rng),
  );
  run.plan(plans.reduce((a, p) => a + p.count + 1, 0));

  const values: number[] = [];
  const baseValues: number[] = [];
  const painted = await segmentValues(run, segmentations, options, async (image, { labels, count: M }, hidden) => {
    const plan = plans[image.index]!;
    const none = new Uint8Array(M);
    // Sample 0 is the empty coalition f(∅); the rest are the coalitions.
    const y = await run.scoreCoalitions(image, labels, plan.count + 1, (i) => (i === 0 ? none : plan.masks.subarray((i - 1) * M, i * M)), hidden, 'kernel-shap');
    const fnull = y[0]!;
    const phi = solveShapley(plan.masks, plan.weights, y.subarray(1), plan.count, M, image.score, fnull);
    values.push(...phi);
    baseValues.push(fnull);
    return phi;
  });
  return run.finish('kernel-shap', painted.maps, 1, {
    segments: painted.segments,
    shapleyValues: values,
    baseValue: baseValues,
    fx: run.images.map((im) => im.score),
    segmentCounts: painted.segmentCounts,
  });
}

export const kernelShap: Method = registerMethod({ info: kernelShapInfo, explain: explainKernelShap });
