import { throwIfCancelled } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Timings } from '../types.js';
import { baselineOption, baselineSpec, blurSigmaSpec, makeBaselines } from './baselines.js';
import { forwardLogits, inputGradients, now, PRECISION_OPTION } from './input-gradients.js';
import { resolveBatchTargets, targetScores, targetTensor } from '../../targets/index.js';
import { splitFloat64 } from '../../onnx/float64.js';
import { INTEGRATION_METHODS, integrationPoints } from './quadrature.js';
import { Random } from '../../random.js';
import { familyInfo } from '../family.js';
import { seedOption } from '../common-options.js';

/**
 * Captum IntegratedGradients: attr = (x − b) ⊙ Σ_i w_i ∇score(b + α_i (x − b)). The interpolated points of all
 * images go through the explanation graph in runs of `internalBatchSize` rows, each seeded with its image's
 * target (resolved on x itself, not on the interpolated points).
 */
export const integratedGradients = registerMethod({
  info: familyInfo('gradient', {
    id: 'integrated-gradients',
    aliases: ['ig', 'integratedgradients'],
    title: 'Integrated Gradients',
    summary: 'Gradients averaged along the straight path from a baseline image to the input, times (input − baseline); the attributions add up to score(input) − score(baseline).',
    needsBaseline: true,
    signed: true,
    cost: 'steps × (forward + backward) per image, plus 1 forward of input and baseline',
    reference: 'Captum 0.8.0 IntegratedGradients (gausslegendre and riemann_trapezoid, 32 steps)',
    caveat: 'Integrated Gradients depends on the baseline (here: zeros in normalized space, i.e. the dataset-mean image).',
    options: [
      { name: 'steps', type: 'integer', default: 50, min: 2, description: 'points on the path (Captum n_steps)' },
      { name: 'method', type: 'enum', choices: INTEGRATION_METHODS, default: 'gausslegendre', description: 'quadrature rule, as Captum (riemann_trapezoid weights sum to (n−1)/n as in Captum)' },
      baselineSpec('zeros (the mean image in normalized space), a number, blur, uniform-noise; API: also a Tensor'),
      blurSigmaSpec('Gaussian sigma in pixels for the blur baseline'),
      seedOption('seed of the uniform-noise baseline'),
      { name: 'internalBatchSize', type: 'integer', default: 16, min: 1, description: 'interpolated images per forward + backward run (memory grows with it)' },
      PRECISION_OPTION,
    ],
  }),
  async explain(model, input, options): Promise<Explanation> {
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const { steps, method, precision } = options;
    // (the generic batchSize no longer stands in for it: internalBatchSize has a declared default)
    const batch = options.internalBatchSize;
    const random = new Random(options.seed, 'xor');
    const baselines = makeBaselines(input, baselineOption(options, 'baseline', 'integrated-gradients'), random, options.blurSigma);
    const targets = await resolveBatchTargets(model, input, options.target, timings);
    const { alphas, weights } = integrationPoints(method, steps);

    const n = input.dims[0]!;
    const per = input.size / n;
    const total = new Float64Array(input.size);
    // rows are item-major: item i, step s → row i·steps + s
    const rowsTotal = n * steps;
    for (let start = 0; start < rowsTotal; start += batch) {
      throwIfCancelled(options.signal);
      const end = Math.min(rowsTotal, start + batch);
      const dims = [end - start, ...input.dims.slice(1)];
      let points: Float32Array;
      let residual: Tensor | undefined;
      if (precision === 'float64') {
        // in double, as Captum on float64 tensors: α unrounded, the point reaches the double graph as a float32
        // pair (rounding it to float32 moves it by ~1e-8, which can cross a ReLU6 kink that the double path misses)
        const exact = new Float64Array((end - start) * per);
        for (let row = start; row < end; row++) {
          const [i, s] = [Math.floor(row / steps), row % steps];
          interpolate64(exact, (row - start) * per, input.data, baselines.data, i * per, per, alphas[s]!);
        }
        const { hi, lo } = splitFloat64(exact);
        points = hi;
        residual = new Tensor(lo, dims);
      } else {
        points = new Float32Array((end - start) * per);
        for (let row = start; row < end; row++) {
          const [i, s] = [Math.floor(row / steps), row % steps];
          // float32 at every step, as Captum's `baseline + alpha * (input - baseline)` on float32 tensors
          interpolate(points, (row - start) * per, input.data, baselines.data, i * per, per, Math.fround(alphas[s]!));
        }
      }
      const g = await inputGradients(model, new Tensor(points, dims), { kind: 'seed', resolved: targets }, {
        batchSize: end - start,
        precision,
        ...(residual ? { residual } : {}),
        timings,
        signal: options.signal,
        seedRow: (r) => Math.floor((start + r) / steps),
      });
      for (let row = start; row < end; row++) {
        const [i, s] = [Math.floor(row / steps), row % steps];
        // the weights in float32 in both precisions, as Captum's torch.tensor(step_sizes)
        addScaled(total, i * per, g.gradients.data, (row - start) * per, per, Math.fround(weights[s]!));
      }
      options.onProgress?.({ done: end, total: rowsTotal, stage: 'integrated-gradients' });
    }
    const attr = new Float32Array(input.size);
    for (let j = 0; j < attr.length; j++) attr[j] = total[j]! * (input.data[j]! - baselines.data[j]!);

    // completeness: Σ attr − (f(x) − f(b)), as Captum's convergence delta (in the gradients' precision)
    const t0 = now();
    const logits = await forwardLogits(model, Tensor.concat([input, baselines]), precision, targetTensor(model, targets));
    timings.runMs += now() - t0;
    const scores = Array.from(targetScores(logits, targets, (r) => r % n));
    const delta = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let p = 0; p < per; p++) s += attr[i * per + p]!;
      return s - (scores[i]! - scores[n + i]!);
    });
    return {
      method: 'integrated-gradients',
      attribution: new Tensor(attr, input.dims),
      targets: targets.classes,
      extras: { convergenceDelta: delta, scores: scores.slice(0, n), baselineScores: scores.slice(n), baseline: baselines, method, steps, precision },
      timings,
    };
  },
});

// The element loops live in small functions of their own, which V8 optimizes apart from the long async explain loop.

/** out[o + p] = b + α(x − b), rounded to float32 at every step as Captum's float32 tensors (x, b from `from`). */
function interpolate(out: Float32Array, o: number, x: Float32Array, b: Float32Array, from: number, count: number, alpha: number): void {
  for (let p = 0; p < count; p++) {
    const base = b[from + p]!;
    out[o + p] = base + Math.fround(alpha * Math.fround(x[from + p]! - base));
  }
}

/** out[o + p] = b + α(x − b) in double (x, b from `from`). */
function interpolate64(out: Float64Array, o: number, x: Float32Array, b: Float32Array, from: number, count: number, alpha: number): void {
  for (let p = 0; p < count; p++) {
    const base = b[from + p]!;
    out[o + p] = base + alpha * (x[from + p]! - base);
  }
}

/** total[t + p] += w · g[o + p] for p < count. */
function addScaled(total: Float64Array, t: number, g: Float32Array, o: number, count: number, w: number): void {
  for (let p = 0; p < count; p++) total[t + p] = total[t + p]! + w * g[o + p]!;
}
