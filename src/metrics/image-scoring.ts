import { LumenError, throwIfCancelled } from '../errors.js';
import type { LumenModel } from '../model.js';
import type { OptionSpec } from '../methods/types.js';
import { Tensor } from '../tensor.js';
import { forwardScores, softmaxRows } from '../targets/index.js';
import type { MetricContext, Region } from './types.js';

/** Where channel c of pixel p = y·W + x of one image lives (images are NCHW for every model: src/layout.ts). */
export interface ImageGeometry {
  channels: number;
  height: number;
  width: number;
  /** H·W */
  pixels: number;
  offset(channel: number, pixel: number): number;
}

export function geometryOf(input: Tensor): ImageGeometry {
  const [c, h, w] = [input.dims[1]!, input.dims[2]!, input.dims[3]!];
  const pixels = h * w;
  return { channels: c, height: h, width: w, pixels, offset: (ch, p) => ch * pixels + p };
}

/** H·W and channel count of an attribution [1,K,H,W]. */
function attributionShape(attribution: Tensor, geometry: ImageGeometry): { k: number; pixels: number } {
  const d = attribution.dims;
  if (d.length !== 4 || d[2] !== geometry.height || d[3] !== geometry.width) {
    throw new LumenError('BAD_OPTION', `attribution of shape [${d.join(', ')}] does not match the input's ${geometry.height}×${geometry.width} (metrics need [N,1,H,W] or [N,C,H,W] at input resolution)`);
  }
  return { k: d[1]!, pixels: d[2]! * d[3]! };
}

/**
 * One relevance value per pixel. 'saliency': a one-channel map as it is, an input-shaped attribution as
 * Σ_c |a_c| (the convention of RISE / pytorch-grad-cam metrics for ranking pixels). 'signed': Σ_c a_c
 * (Arras et al. relevance mass, Quantus faithfulness correlation).
 */
export function relevanceMap(attribution: Tensor, geometry: ImageGeometry, mode: 'saliency' | 'signed' = 'saliency'): Float64Array {
  const { k, pixels } = attributionShape(attribution, geometry);
  const out = new Float64Array(pixels);
  const a = attribution.data;
  for (let c = 0; c < k; c++) {
    for (let p = 0; p < pixels; p++) {
      const v = a[c * pixels + p]!;
      out[p] += k === 1 || mode === 'signed' ? v : Math.abs(v);
    }
  }
  return out;
}

/** Pixel indices sorted by relevance, most relevant first; ties keep row-major order (stable). */
export function rankPixels(relevance: ArrayLike<number>): Int32Array {
  const idx = Array.from({ length: relevance.length }, (_, i) => i);
  idx.sort((i, j) => relevance[j]! - relevance[i]! || i - j);
  return Int32Array.from(idx);
}

/** Attribution value for channel c of pixel p, broadcasting a one-channel map over the input channels. */
export function attributionAt(attribution: Tensor, geometry: ImageGeometry): (channel: number, pixel: number) => number {
  const { k, pixels } = attributionShape(attribution, geometry);
  const a = attribution.data;
  return k === 1 ? (_c, p) => a[p]! : (c, p) => a[c * pixels + p]!;
}

export type ScoreOutput = 'probability' | 'logit';

/**
 * Score `count` perturbed copies of one image: `make(i)` writes copy i into `out` (pre-filled with nothing in
 * particular — write every value). Runs `batchSize` copies per forward pass and returns the target's softmax
 * probability or logit for each copy (or, for a non-class target, its scalar: src/targets).
 */
export async function scoreImages(
  ctx: Pick<MetricContext, 'model' | 'input' | 'target' | 'targets' | 'batchSize' | 'signal'>,
  count: number,
  make: (index: number, out: Float32Array) => void,
  output: ScoreOutput,
  onBatch?: (done: number) => void,
  model: LumenModel = ctx.model,
): Promise<Float64Array> {
  const scores = new Float64Array(count);
  await forEachCopyBatch(ctx, count, make, async (batch, start) => {
    const n = batch.dims[0]!;
    if (ctx.targets) {
      // a non-class target: its own scalar (the same the explanation explained), whatever `output` says, computed
      // in the session (only n numbers fetched, not a segmentation map per copy)
      scores.set(await forwardScores(model, batch, ctx.targets, () => 0), start);
    } else {
      const { logits } = await model.forward(batch);
      const values = output === 'probability' ? softmaxRows(logits) : logits;
      const k = logits.dims[1]!;
      for (let i = 0; i < n; i++) scores[start + i] = values.data[i * k + ctx.target]!;
    }
    onBatch?.(start + n);
  });
  return scores;
}

/**
 * `count` copies of one image, `batchSize` (at least 1) per batch: `make(i, out)` writes copy i into `out` (pre-filled
 * with nothing in particular — write every value) and `use(batch, start)` gets each [n, …] batch in order, copies
 * start…start+n−1. Cancelled between batches through `signal`. (Scoring copies, and re-explaining perturbed ones.)
 */
export async function forEachCopyBatch(
  ctx: Pick<MetricContext, 'input' | 'batchSize' | 'signal'>,
  count: number,
  make: (index: number, out: Float32Array) => void,
  use: (batch: Tensor, start: number) => Promise<void>,
): Promise<void> {
  const per = ctx.input.size;
  const bs = Math.max(1, Math.floor(ctx.batchSize));
  for (let start = 0; start < count; start += bs) {
    throwIfCancelled(ctx.signal, 'evaluation');
    const n = Math.min(bs, count - start);
    const data = new Float32Array(n * per);
    for (let i = 0; i < n; i++) make(start + i, data.subarray(i * per, (i + 1) * per));
    await use(new Tensor(data, [n, ...ctx.input.dims.slice(1)]), start);
  }
}

/** Score of the unperturbed image. */
export async function scoreOriginal(ctx: MetricContext, output: ScoreOutput): Promise<number> {
  const s = await scoreImages(ctx, 1, (_i, out) => out.set(ctx.input.data), output);
  return s[0]!;
}

/**
 * `count` additive perturbations of one image, each value from `noise`, drawn in (channel, pixel) order so NCHW and
 * NHWC models see the same perturbations (infidelity, and the robustness metrics' perturbed copies).
 */
export function drawPerturbations(input: Tensor, count: number, noise: () => number): Float32Array[] {
  const g = geometryOf(input);
  return Array.from({ length: count }, () => {
    const d = new Float32Array(input.size);
    for (let c = 0; c < g.channels; c++) for (let p = 0; p < g.pixels; p++) d[g.offset(c, p)] = noise();
    return d;
  });
}

/** The `sigma` option of the metrics that add Gaussian noise N(0, σ²) to every input value. */
export function gaussianSigmaOption(defaultSigma: number) {
  return { name: 'sigma', type: 'number', min: 0, default: defaultSigma, description: 'σ of the Gaussian perturbation (normalized input space)' } as const satisfies OptionSpec;
}

/** Binary inside/outside mask (H·W) of a ground-truth region. */
export function regionMask(region: Region | undefined, geometry: ImageGeometry, metric: string): Uint8Array {
  if (!region) throw new LumenError('BAD_OPTION', `metric '${metric}' needs a ground-truth region per image (boxes or a binary mask): pass options.regions`, 2);
  const { height: h, width: w } = geometry;
  const mask = new Uint8Array(h * w);
  if ('mask' in region) {
    if (region.mask.length !== h * w) throw new LumenError('BAD_OPTION', `metric '${metric}': region mask has ${region.mask.length} values, the image has ${h}×${w} = ${h * w} pixels`, 2);
    for (let i = 0; i < h * w; i++) mask[i] = region.mask[i]! ? 1 : 0;
  } else {
    for (const b of region.boxes) {
      const x0 = Math.max(0, Math.floor(b.x0));
      const y0 = Math.max(0, Math.floor(b.y0));
      const x1 = Math.min(w, Math.ceil(b.x1));
      const y1 = Math.min(h, Math.ceil(b.y1));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * w + x] = 1;
    }
  }
  if (!mask.some((v) => v)) throw new LumenError('BAD_OPTION', `metric '${metric}': the ground-truth region is empty`, 2);
  return mask;
}

/** Explainer-needing metrics call this to get it or fail with a clear message. */
export function requireExplain(ctx: MetricContext, metric: string): NonNullable<MetricContext['explain']> {
  if (!ctx.explain) throw new LumenError('BAD_OPTION', `metric '${metric}' re-runs the explanation method: give a method or an explainer, not only an attribution`, 2);
  return ctx.explain;
}

/** Per-channel mean of one image (for 'mean' baselines). */
export function channelMeans(input: Tensor, geometry: ImageGeometry): number[] {
  const out: number[] = [];
  for (let c = 0; c < geometry.channels; c++) {
    let s = 0;
    for (let p = 0; p < geometry.pixels; p++) s += input.data[geometry.offset(c, p)]!;
    out.push(s / geometry.pixels);
  }
  return out;
}
