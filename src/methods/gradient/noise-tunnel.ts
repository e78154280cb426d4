import { LumenError, throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { resolveBatchTargets, seedRows, type TargetSpec } from '../../targets/index.js';
import { Tensor } from '../../tensor.js';
import { getMethod, registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionSpec, ParsedOptions, Timings } from '../types.js';
import { checkedOptionValues } from '../validate.js';
import { describeValue } from '../../options.js';
import { PRECISION_OPTION } from './input-gradients.js';
import { Random } from '../../random.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';

export const NOISE_TUNNEL_TYPES = ['smoothgrad', 'squaregrad', 'vargrad'] as const;
export type NoiseTunnelType = (typeof NOISE_TUNNEL_TYPES)[number];

/**
 * Captum NoiseTunnel around any method: `samples` copies of each image plus N(0, stdev²) noise (absolute, in the
 * model's input space), the base method on all of them (explaining the target resolved on the clean image), then
 * the mean (smoothgrad), mean of squares (squaregrad) or variance (vargrad) of the attributions.
 */
export async function noiseTunnel(base: Method, model: LumenModel, input: Tensor, given: ExplainOptions, type: NoiseTunnelType): Promise<Explanation> {
  // a direct caller's input and options are checked (in explain's words) and parsed once; explain's are already
  model.checkInput(input);
  return tunnel(base, model, input, checkedOptionValues(TUNNEL_OPTIONS, given, 'noise-tunnel'), type);
}

/** noiseTunnel on checked input and parsed options (smoothgrad's and noise-tunnel's explain). */
async function tunnel(base: Method, model: LumenModel, input: Tensor, options: ParsedOptions<typeof TUNNEL_OPTIONS>, type: NoiseTunnelType): Promise<Explanation> {
  const timings: Timings = { compileMs: 0, runMs: 0 };
  const { samples, stdev } = options;
  const random = new Random(options.seed, 'xor');
  const targets = await resolveBatchTargets(model, input, options.target, timings);
  const n = input.dims[0]!;
  const per = input.size / n;
  const sum = new Float64Array(input.size);
  const sumSq = new Float64Array(input.size);
  let attrPer = 0;
  let attrDims: readonly number[] = [];
  // the n × samples noisy rows go to the base method `batchSize` rows at a time (a chunk may split an image's
  // samples), so memory is O(batchSize × image) whatever `samples` is; the noise is drawn row by row in the same
  // order and summed in float64 in row order, so the chunk size does not change the result
  const chunk = options.batchSize;
  const totalRows = n * samples;
  const { target: _ignored, seed: _seed, samples: _s, stdev: _d, ...rest } = options;
  void _ignored;
  void _seed;
  void _s;
  void _d;
  for (let first = 0; first < totalRows; first += chunk) {
    throwIfCancelled(options.signal);
    const rows = Math.min(chunk, totalRows - first);
    const noisy = new Float32Array(rows * per);
    for (let r = 0; r < rows; r++) {
      const i = Math.floor((first + r) / samples);
      for (let p = 0; p < per; p++) noisy[r * per + p] = input.data[i * per + p]! + stdev * random.normal();
    }
    const rowTarget = (r: number): number => Math.floor((first + r) / samples);
    const classes = Array.from({ length: rows }, (_, r) => targets.classes[rowTarget(r)]!);
    // the clean image's target, row by row: every noisy copy explains the same scalar
    const target: TargetSpec = classes.every((c) => c >= 0) && targets.output !== 'cosine' && targets.output !== 'objectness' && !targets.tensor && targets.seed.rank === 2
      ? { class: classes, output: targets.output }
      : { kind: 'resolved', classes, seed: seedRows(targets, rows, rowTarget), output: targets.output, ...(targets.tensor ? { tensor: targets.tensor } : {}) };
    const e = await base.explain(model, new Tensor(noisy, [rows, ...input.dims.slice(1)]), { ...rest, target });
    timings.compileMs += e.timings.compileMs;
    timings.runMs += e.timings.runMs;
    attrPer = e.attribution.size / rows;
    attrDims = e.attribution.dims.slice(1);
    for (let r = 0; r < rows; r++) {
      const item = rowTarget(r);
      for (let p = 0; p < attrPer; p++) {
        const v = e.attribution.data[r * attrPer + p]!;
        sum[item * attrPer + p] += v;
        sumSq[item * attrPer + p] += v * v;
      }
    }
    options.onProgress?.({ done: first + rows, total: totalRows, stage: type });
  }
  const out = new Float32Array(n * attrPer);
  for (let j = 0; j < out.length; j++) {
    const mean = sum[j]! / samples;
    const meanSq = sumSq[j]! / samples;
    out[j] = type === 'smoothgrad' ? mean : type === 'squaregrad' ? meanSq : meanSq - mean * mean;
  }
  return {
    method: type === 'smoothgrad' && base.info.id === 'saliency' ? 'smoothgrad' : `noise-tunnel`,
    attribution: new Tensor(out, [n, ...attrDims]),
    targets: targets.classes,
    extras: { base: base.info.id, type, samples, stdev },
    timings,
  };
}

const TUNNEL_OPTIONS = [
  { name: 'samples', type: 'integer', default: 50, min: 1, description: 'noisy copies per image (Captum nt_samples)' },
  { name: 'stdev', type: 'number', default: 0.15, min: 0, description: 'noise standard deviation in the model input space (Captum stdevs)' },
  seedOption('random seed of the noise'),
  batchSizeOption(32, 'noisy images per base-method call (bounds memory: one call holds at most this many noisy copies)'),
  { ...PRECISION_OPTION, description: `${PRECISION_OPTION.description}; passed to the base method (gradient bases only)` },
] as const satisfies readonly OptionSpec[];

export const smoothgrad = registerMethod({
  info: familyInfo('gradient', {
    id: 'smoothgrad',
    aliases: ['smooth-grad', 'noisetunnel-smoothgrad'],
    title: 'SmoothGrad',
    summary: 'Saliency averaged over noisy copies of the image: less speckled than the plain gradient.',
    needsBaseline: false,
    signed: false,
    cost: 'samples × (forward + backward) per image, plus 1 forward',
    reference: 'Captum 0.8.0 NoiseTunnel(Saliency) smoothgrad (statistical comparison)',
    options: [{ name: 'abs', type: 'boolean', default: true, description: 'absolute gradients before averaging (Saliency abs)' }, ...TUNNEL_OPTIONS],
  }),
  explain: (model, input, options) => tunnel(getMethod('saliency'), model, input, options, 'smoothgrad'),
});

export const noiseTunnelMethod = registerMethod({
  info: familyInfo('gradient', {
    id: 'noise-tunnel',
    aliases: ['noisetunnel'],
    title: 'Noise Tunnel',
    summary: 'Any attribution method averaged over noisy copies of the image (SmoothGrad, SquareGrad or VarGrad).',
    needsBaseline: false,
    signed: true,
    cost: 'samples × the base method per image',
    reference: 'Captum 0.8.0 NoiseTunnel',
    options: [
      { name: 'base', type: 'string', default: 'saliency', description: 'method to smooth (any registered method id)' },
      { name: 'type', type: 'enum', choices: NOISE_TUNNEL_TYPES, default: 'smoothgrad', description: 'mean, mean of squares or variance of the attributions' },
      ...TUNNEL_OPTIONS,
    ],
  }),
  explain: (model, input, options) => {
    // (a missing base has its declared default; any other value than a method id is refused, not replaced)
    if (typeof options.base !== 'string') throw new LumenError('BAD_OPTION', `noise-tunnel.explain: base must be a method id (listMethods()), got ${describeValue(options.base)}`, 2);
    const base = getMethod(options.base);
    const { base: _b, type: _t, ...rest } = options;
    void _b;
    void _t;
    return tunnel(base, model, input, rest, options.type);
  },
});
