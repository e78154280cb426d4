import { LumenError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import type { Random } from '../../random.js';
import { gaussianBlurPlanes } from '../../image/blur.js';
import { minMax } from '../../math/min-max.js';
import { shownValue } from '../../options.js';
import type { OptionSpec } from '../types.js';

/** How a baseline (reference input) is given: a kind, a constant, or explicit tensors. */
export const BASELINE_KINDS = ['zeros', 'blur', 'uniform-noise'] as const;
export type BaselineSpec = (typeof BASELINE_KINDS)[number] | number | Tensor;

/** σ in pixels of the 'blur' baseline when none is given (the blurSigma option's default; GradientSHAP's blur). */
export const DEFAULT_BLUR_SIGMA = 4;

/**
 * The options of a method whose one reference input comes from makeBaselines (Integrated Gradients, DeepLIFT): name,
 * type, default and bounds stated once here; each method words its own description.
 */
export const baselineSpec = (description: string) => ({ name: 'baseline', type: 'string', default: 'zeros', description }) as const satisfies OptionSpec;
export const blurSigmaSpec = (description: string) => ({ name: 'blurSigma', type: 'number', default: DEFAULT_BLUR_SIGMA, min: 0.1, description }) as const satisfies OptionSpec;

/**
 * A method's baseline option under the one name it declares: Integrated Gradients and DeepLIFT take one `baseline`,
 * GradientSHAP a distribution `baselines`. The other spelling (Captum says `baselines` for all three) is refused rather
 * than read as an alias, or silently ignored while the default baseline is used.
 */
export function baselineOption(options: Readonly<Record<string, unknown>>, name: 'baseline' | 'baselines', method: string): unknown {
  const other = name === 'baseline' ? 'baselines' : 'baseline';
  if (options[other] !== undefined) throw new LumenError('BAD_OPTION', `${method} has no option '${other}'; its option is '${name}'`, 2);
  return options[name];
}

/** `length` values drawn uniformly over the input's value range [min, max], in order from `random`: noise baselines. */
export function uniformNoise(input: Tensor, length: number, random: Random): Float32Array {
  const [lo, hi] = minMax(input.data);
  return Float32Array.from({ length }, () => random.uniform(lo, hi));
}

/**
 * One baseline per input item ([N, …]): zeros (0 in the model's normalized input space = the dataset mean image,
 * Captum's default), a constant, a Gaussian blur of the input, uniform noise over the input's value range (seeded),
 * or a tensor (one image broadcast to the batch, or one per item).
 */
export function makeBaselines(input: Tensor, spec: unknown, random: Random, blurSigma: number): Tensor {
  const n = input.dims[0]!;
  const per = input.size / n;
  if (spec === 'zeros' || spec === 'zero' || spec === 'black') return Tensor.zeros(input.dims);
  if (typeof spec === 'number' || (typeof spec === 'string' && spec.trim() !== '' && Number.isFinite(Number(spec)))) return Tensor.filled(input.dims, Number(spec));
  if (spec === 'blur') return gaussianBlur(input, blurSigma);
  if (spec === 'uniform-noise' || spec === 'noise') return new Tensor(uniformNoise(input, input.size, random), input.dims);
  if (spec instanceof Tensor) {
    if (spec.size === per) return Tensor.concat(Array.from({ length: n }, () => spec.reshape([1, ...input.dims.slice(1)])));
    if (spec.size === input.size) return spec.reshape(input.dims);
    throw new LumenError('BAD_OPTION', `baseline of shape [${spec.dims.join(', ')}] does not fit the input [${input.dims.join(', ')}] (one image or one per input)`, 2);
  }
  throw new LumenError('BAD_OPTION', `option baseline=${shownValue(spec)}: expected ${BASELINE_KINDS.join(', ')}, a number or a tensor`, 2);
}

/** Gaussian blur of each channel of an NCHW batch (2⌈3σ⌉ + 1 taps, edges replicated: src/image/blur.ts). */
export function gaussianBlur(input: Tensor, sigma: number): Tensor {
  if (input.rank !== 4) throw new LumenError('BAD_OPTION', 'the blur baseline needs an NCHW image input', 2);
  const [n, c, h, w] = input.dims as [number, number, number, number];
  return new Tensor(gaussianBlurPlanes(input.data, n * c, h, w, { sigma, border: 'replicate' }), input.dims);
}
