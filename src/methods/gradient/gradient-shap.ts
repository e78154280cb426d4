import { LumenError, throwIfCancelled } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Timings } from '../types.js';
import { DEFAULT_BLUR_SIGMA, baselineOption, gaussianBlur, uniformNoise } from './baselines.js';
import { inputGradients, PRECISION_OPTION } from './input-gradients.js';
import { resolveBatchTargets } from '../../targets/index.js';
import { Random } from '../../random.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';
import { shownValue } from '../../options.js';

/**
 * Captum GradientShap: for each of `samples` draws per image, a baseline picked uniformly from a distribution, the
 * input plus N(0, stdev²) noise, and a point α ~ U(0, 1) on the path between them; attr = mean of
 * ∇score(b + α(x̃ − b)) ⊙ (x̃ − b). An expectation of Integrated Gradients over baselines (SHAP values for
 * suitable baselines). All random draws come from the seeded generator.
 */
export const gradientShap = registerMethod({
  info: familyInfo('gradient', {
    id: 'gradient-shap',
    aliases: ['gradientshap', 'expected-gradients'],
    title: 'GradientSHAP',
    summary: 'Gradients at random points between the input and random baselines, times (input − baseline), averaged: approximate SHAP values.',
    needsBaseline: true,
    signed: true,
    cost: 'samples × (forward + backward) per image, plus 1 forward',
    reference: 'Captum 0.8.0 GradientShap semantics (random, seeded)',
    options: [
      { name: 'baselines', type: 'string', default: 'noise', description: "baseline distribution: noise (uniform noise images over the input's range, plus the zero image), zeros, blur; API: a Tensor [B, C, H, W]" },
      { name: 'baselineCount', type: 'integer', default: 8, min: 1, description: 'noise baselines to draw from' },
      { name: 'samples', type: 'integer', default: 20, min: 1, description: 'random (baseline, α) draws per image (Captum n_samples)' },
      { name: 'stdev', type: 'number', default: 0, min: 0, description: 'noise added to the input per draw (Captum stdevs)' },
      seedOption('random seed'),
      batchSizeOption(16, 'draws per forward + backward run'),
      PRECISION_OPTION,
    ],
  }),
  async explain(model, input, options): Promise<Explanation> {
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const { samples, stdev, batchSize: batch, precision } = options;
    const random = new Random(options.seed, 'xor');
    const n = input.dims[0]!;
    const per = input.size / n;
    const dist = baselineDistribution(input, baselineOption(options, 'baselines', 'gradient-shap'), options.baselineCount, random);
    const targets = await resolveBatchTargets(model, input, options.target, timings);
    const sum = new Float64Array(input.size);
    const rowsTotal = n * samples;
    for (let start = 0; start < rowsTotal; start += batch) {
      throwIfCancelled(options.signal);
      const end = Math.min(rowsTotal, start + batch);
      const points = new Float32Array((end - start) * per);
      const diffs = new Float32Array((end - start) * per);
      for (let row = start; row < end; row++) {
        const i = Math.floor(row / samples);
        const b = random.int(dist.count);
        const alpha = random.uniform();
        const o = (row - start) * per;
        for (let p = 0; p < per; p++) {
          const x = input.data[i * per + p]! + (stdev > 0 ? stdev * random.normal() : 0);
          const base = dist.value(i, b, p);
          diffs[o + p] = x - base;
          points[o + p] = base + alpha * (x - base);
        }
      }
      const g = await inputGradients(model, new Tensor(points, [end - start, ...input.dims.slice(1)]), { kind: 'seed', resolved: targets }, {
        batchSize: end - start,
        precision,
        timings,
        signal: options.signal,
        seedRow: (r) => Math.floor((start + r) / samples),
      });
      for (let row = start; row < end; row++) {
        const i = Math.floor(row / samples);
        const o = (row - start) * per;
        for (let p = 0; p < per; p++) sum[i * per + p] += g.gradients.data[o + p]! * diffs[o + p]!;
      }
      options.onProgress?.({ done: end, total: rowsTotal, stage: 'gradient-shap' });
    }
    return {
      method: 'gradient-shap',
      attribution: new Tensor(Float32Array.from(sum, (v) => v / samples), input.dims),
      targets: targets.classes,
      extras: { samples, stdev, baselines: dist.count },
      timings,
    };
  },
});

/** The baselines to draw from: value(item, baselineIndex, position). */
function baselineDistribution(input: Tensor, spec: unknown, count: number, random: Random): { count: number; value: (i: number, b: number, p: number) => number } {
  const n = input.dims[0]!;
  const per = input.size / n;
  if (spec instanceof Tensor) {
    if (spec.size % per !== 0) throw new LumenError('BAD_OPTION', `baselines of shape [${spec.dims.join(', ')}] do not fit images of [${input.dims.slice(1).join(', ')}]`, 2);
    const b = spec.size / per;
    return { count: b, value: (_i, k, p) => spec.data[k * per + p]! };
  }
  if (spec === 'zeros') return { count: 1, value: () => 0 };
  if (spec === 'blur') {
    const blurred = gaussianBlur(input, DEFAULT_BLUR_SIGMA);
    return { count: 1, value: (i, _k, p) => blurred.data[i * per + p]! };
  }
  if (spec !== 'noise' && spec !== 'uniform-noise') {
    throw new LumenError('BAD_OPTION', `option baselines=${shownValue(spec)}: expected noise, zeros, blur or a tensor`, 2);
  }
  // baseline 0 is the zero image; the others uniform noise over the input's range
  const noise = uniformNoise(input, count * per, random);
  return { count: count + 1, value: (_i, k, p) => (k === 0 ? 0 : noise[(k - 1) * per + p]!) };
}
