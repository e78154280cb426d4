/**
 * Machinery shared by the perturbation methods (the seeded `Rng` is in src/random.ts, the blur in src/image/blur.ts,
 * the linear solver in src/math/linear-solve.ts, option readers in src/options.ts): target scoring of batches of
 * perturbed images (batched forward passes, progress, cancellation), and the "hide a segment" images.
 *
 * Every method works on one image at a time in planar NCHW order (`Float32Array` of C·H·W values), the layout of
 * every model's input in Lumen (src/layout.ts), so attributions are NCHW.
 */
import { throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { forwardScores, resolveBatchTargets, seedSize, targetTensor, type TargetTransform } from '../../targets/index.js';
import { Tensor } from '../../tensor.js';
import { gaussianBlurPlanes } from '../../image/blur.js';
import type { ExplainOptions, Explanation, OptionSpec, OptionValues } from '../types.js';
import type { Segmentation } from './segmentation.js';

// ---------------------------------------------------------------------------------------------------------------
// Runs: targets, scoring, progress, cancellation

/** One image of the input batch, in planar NCHW order, with the weights of the outputs it explains. */
export interface PreparedImage {
  index: number;
  channels: number;
  height: number;
  width: number;
  /** H·W */
  pixels: number;
  /** C·H·W values, channel-major. */
  data: Float32Array;
  /** Explained scalar = Σ weights ⊙ transform(target tensor) (src/targets): this image's seed row. */
  targetWeights: Float32Array;
  /** The explained scalar at the unperturbed image. */
  score: number;
}

/** Input values per perturbed batch at most (64 MB of float32). */
export const MAX_BATCH_VALUES = 1 << 24;

export class PerturbationRun {
  readonly images: PreparedImage[];
  readonly classes: number[];
  readonly output: TargetTransform;
  /** The model tensor the explained scalar reads. */
  readonly tensor: string;
  /** Dims of one image's seed row (the target tensor's, without the batch axis). */
  readonly seedDims: readonly number[];
  readonly batchSize: number;
  private readonly started = performanceNow();
  private done = 0;
  private total = 0;

  private constructor(
    readonly model: LumenModel,
    readonly options: ExplainOptions & { batchSize: number },
    init: { images: PreparedImage[]; classes: number[]; output: TargetTransform; tensor: string; seedDims: readonly number[] },
  ) {
    this.images = init.images;
    this.classes = init.classes;
    this.output = init.output;
    this.tensor = init.tensor;
    this.seedDims = init.seedDims;
    // A huge image goes fewer copies per ONNX Runtime call: one call blocks the thread, and the abort signal is only
    // seen between calls (occlusion of a 100000×28 input ran 32 copies, minutes, in one uncancellable call).
    const values = Math.max(1, ...init.images.map((i) => i.channels * i.pixels));
    this.batchSize = Math.max(1, Math.min(options.batchSize, Math.floor(MAX_BATCH_VALUES / values)));
  }

  /**
   * Resolve the targets on the unperturbed batch (a forward pass only when the spec depends on the outputs) and split
   * it into planar images. Every score, here and per perturbation, is computed in the session (src/targets
   * forwardScores / forwardMasked's score): only the scalars are fetched, not the target tensor.
   */
  /** `options`: as `explain` receives them (every perturbation method declares batchSize, default 32). */
  static async start(model: LumenModel, input: Tensor, options: ExplainOptions & { batchSize: number }): Promise<PerturbationRun> {
    throwIfCancelled(options.signal);
    model.checkInput(input);
    const tensor = targetTensor(model, options.target);
    const targets = await resolveBatchTargets(model, input, options.target);
    throwIfCancelled(options.signal);
    const scores = await forwardScores(model, input, targets);
    const n = input.dims[0]!;
    const [c, h, w] = [input.dims[1]!, input.dims[2]!, input.dims[3]!];
    const k = seedSize(targets);
    const images: PreparedImage[] = [];
    for (let i = 0; i < n; i++) {
      const item = input.data.subarray(i * c * h * w, (i + 1) * c * h * w);
      const data = item.slice();
      images.push({
        index: i,
        channels: c,
        height: h,
        width: w,
        pixels: h * w,
        data,
        targetWeights: targets.seed.data.slice(i * k, (i + 1) * k),
        score: scores[i]!,
      });
    }
    return new PerturbationRun(model, options, { images, classes: targets.classes, output: targets.output, tensor, seedDims: targets.seed.dims.slice(1) });
  }

  /** Declare the number of forward passes still to come (for progress reports). */
  plan(passes: number): void {
    this.total += passes;
  }

  /**
   * Score `count` perturbed copies of `image`: `fill(i, out)` writes copy i (planar NCHW, every value) into `out`.
   * Runs `batchSize` copies per forward pass; checks the abort signal before each pass.
   */
  async score(image: PreparedImage, count: number, fill: (index: number, out: Float32Array) => void, stage?: string): Promise<Float64Array> {
    const per = image.channels * image.pixels;
    const scores = new Float64Array(count);
    const dims = [image.channels, image.height, image.width];
    for (let start = 0; start < count; start += this.batchSize) {
      throwIfCancelled(this.options.signal);
      const n = Math.min(this.batchSize, count - start);
      const batch = new Float32Array(n * per);
      for (let i = 0; i < n; i++) fill(start + i, batch.subarray(i * per, (i + 1) * per));
      const s = await forwardScores(this.model, new Tensor(batch, [n, ...dims]), this.targetOf(image), () => 0);
      this.recordBatch(s, scores, start, stage);
    }
    return scores;
  }

  /**
   * Score `count` copies of `image` seen through masks, the compositing done inside the graph
   * (LumenModel.forwardMasked): 'blend' gives baseline + mask ⊙ (image − baseline), 'select' the image where the mask
   * is non-zero and the baseline elsewhere (exact). `fillMask(i, out)` writes mask i (H·W values, applied to every
   * channel); `baseline` is a number or a planar image like image.data. After each forward pass `onBatch` sees that
   * batch's masks and scores. Runs `batchSize` copies per forward pass.
   */
  async scoreMasks(
    image: PreparedImage,
    count: number,
    fillMask: (index: number, out: Float32Array) => void,
    options: { baseline: number | Float32Array; mode: 'blend' | 'select'; stage: string; onBatch?: (masks: Float32Array, scores: Float64Array) => void },
  ): Promise<Float64Array> {
    const P = image.pixels;
    const dims = [1, image.channels, image.height, image.width];
    const pixels = new Tensor(image.data, dims);
    const base = typeof options.baseline === 'number' ? options.baseline : new Tensor(options.baseline, dims);
    const scores = new Float64Array(count);
    // one mask buffer for every batch (ORT is done with it when the run returns)
    const buffer = new Float32Array(Math.min(this.batchSize, count) * P);
    for (let start = 0; start < count; start += this.batchSize) {
      throwIfCancelled(this.options.signal);
      const n = Math.min(this.batchSize, count - start);
      const masks = buffer.subarray(0, n * P);
      for (let i = 0; i < n; i++) fillMask(start + i, masks.subarray(i * P, (i + 1) * P));
      const s = await this.model.forwardMasked(pixels, new Tensor(masks, [n, 1, image.height, image.width]), base, options.mode, this.tensor, this.targetOf(image));
      this.recordBatch(s.data, scores, start, options.stage);
      options.onBatch?.(masks, scores.subarray(start, start + n));
    }
    return scores;
  }

  /**
   * Score `count` segment coalitions of `image`: coalition i (`row(i)`, one byte per segment, 1 = shown) shows the
   * image on its segments and `hidden` (planar, like image.data) elsewhere, picked pixel by pixel in the graph, so JS
   * writes H·W mask values per coalition, not C·H·W pixels.
   */
  scoreCoalitions(image: PreparedImage, labels: Int32Array, count: number, row: (index: number) => Uint8Array, hidden: Float32Array, stage: string): Promise<Float64Array> {
    return this.scoreMasks(image, count, (i, out) => fillSegmentMask(labels, row(i), out), { baseline: hidden, mode: 'select', stage });
  }

  /** Image's target as an in-session score needs it: its seed row [1, …], transform and tensor. */
  private targetOf(image: PreparedImage): { seed: Tensor; output: TargetTransform; tensor: string } {
    return { seed: new Tensor(image.targetWeights, [1, ...this.seedDims]), output: this.output, tensor: this.tensor };
  }

  /** After a forward pass of the batch starting at `start`: its scores stored, progress, abort check. */
  private recordBatch(batchScores: ArrayLike<number>, scores: Float64Array, start: number, stage?: string): void {
    throwIfCancelled(this.options.signal);
    scores.set(batchScores, start);
    this.done += batchScores.length;
    this.options.onProgress?.({ done: this.done, total: Math.max(this.total, this.done), ...(stage ? { stage } : {}) });
  }

  /** Assemble the explanation from per-image maps ([1,K,H,W] each, NCHW). */
  finish(method: string, maps: readonly Float32Array[], channels: number, extras: Explanation['extras']): Explanation {
    const first = this.images[0]!;
    const per = channels * first.pixels;
    const data = new Float32Array(maps.length * per);
    maps.forEach((m, i) => data.set(m, i * per));
    return {
      method,
      attribution: new Tensor(data, [maps.length, channels, first.height, first.width]),
      targets: this.classes,
      extras,
      timings: { compileMs: 0, runMs: performanceNow() - this.started },
    };
  }
}

function performanceNow(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

// ---------------------------------------------------------------------------------------------------------------
// Images a segment is replaced with when it is "off"

export type HideMode = 'constant' | 'mean' | 'blur';

/**
 * The image whose pixels replace a hidden segment. 'constant': every value `value` (in the model's normalized input
 * space, so 0 is the dataset mean for mean/std-normalized models); 'mean': each segment's mean colour (lime's
 * default, hide_color=None); 'blur': a Gaussian blur of the image (σ = `sigma` pixels).
 */
export function hiddenImage(image: PreparedImage, labels: Int32Array, segments: number, mode: HideMode, value: number, sigma: number): Float32Array {
  const { channels: C, pixels: P } = image;
  const x = image.data;
  if (mode === 'constant') return new Float32Array(C * P).fill(value);
  if (mode === 'blur') return gaussianBlur(x, C, image.height, image.width, sigma);
  const out = new Float32Array(C * P);
  const counts = new Float64Array(segments);
  for (let p = 0; p < P; p++) counts[labels[p]!]! += 1;
  const sums = new Float64Array(segments);
  for (let c = 0; c < C; c++) {
    sums.fill(0);
    const plane = x.subarray(c * P, (c + 1) * P);
    for (let p = 0; p < P; p++) sums[labels[p]!]! += plane[p]!;
    for (let s = 0; s < segments; s++) sums[s] = counts[s]! > 0 ? sums[s]! / counts[s]! : 0;
    const dst = out.subarray(c * P, (c + 1) * P);
    for (let p = 0; p < P; p++) dst[p] = sums[labels[p]!]!;
  }
  return out;
}

/** Gaussian blur per channel, 2⌈3σ⌉ + 1 taps, mirrored borders (src/image/blur.ts); σ ≤ 0 is no blur. */
export function gaussianBlur(x: Float32Array, C: number, H: number, W: number, sigma: number): Float32Array {
  return sigma > 0 ? gaussianBlurPlanes(x, C, H, W, { sigma, border: 'mirror' }) : x.slice();
}

/** out[p] = on[segment of pixel p] (1 shown, 0 hidden). */
function fillSegmentMask(labels: Int32Array, on: Uint8Array, out: Float32Array): void {
  for (let p = 0; p < labels.length; p++) out[p] = on[labels[p]!]!;
}

/** Paint one value per segment onto an H·W map. */
export function paintSegments(labels: Int32Array, values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(labels.length);
  for (let p = 0; p < labels.length; p++) out[p] = values[labels[p]!]!;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Options shared by the segment-based methods

export interface HideSettings {
  mode: HideMode;
  value: number;
  sigma: number;
}

/** The parsed values of `hideOptionSpecs` (the method's declared default mode applied). */
export type HideOptionValues = OptionValues<ReturnType<typeof hideOptionSpecs>>;

export function hideSettings(options: HideOptionValues, image: PreparedImage): HideSettings {
  return { mode: options.hide, value: options.hideValue, sigma: options.blurSigma ?? Math.max(1, Math.max(image.height, image.width) / 16) };
}

const HIDE_MODES = ['constant', 'mean', 'blur'] as const satisfies readonly HideMode[];

export function hideOptionSpecs(defaultMode: HideMode) {
  return [
    {
      name: 'hide',
      type: 'enum',
      choices: HIDE_MODES,
      default: defaultMode,
      description: "What a switched-off segment shows: 'constant' (hideValue), 'mean' (the segment's mean colour, lime's default), 'blur' (a Gaussian blur of the image).",
    },
    { name: 'hideValue', type: 'number', default: 0, description: "hide 'constant': the value, in the normalized input space (0 = dataset mean for mean/std-normalized models)." },
    { name: 'blurSigma', type: 'number', min: 0, description: "hide 'blur': Gaussian σ in pixels (default max(1, longer side / 16))." },
  ] as const satisfies readonly OptionSpec[];
}

/** What `segmentValues` gives back: the painted map of each image, its label maps as `extras.segments`, the segment counts. */
export interface SegmentMaps {
  maps: Float32Array[];
  segments: Tensor;
  segmentCounts: number[];
}

/**
 * The loop every superpixel method runs (feature ablation, LIME, Kernel SHAP): per image, the image its hidden
 * segments show (the `hide` options, with the method's declared default mode) and one value per segment from `values`; those values
 * painted onto the segments are the image's map.
 */
export async function segmentValues(
  run: PerturbationRun,
  segmentations: readonly Segmentation[],
  options: HideOptionValues,
  values: (image: PreparedImage, segmentation: Segmentation, hidden: Float32Array) => Promise<ArrayLike<number>>,
): Promise<SegmentMaps> {
  const maps: Float32Array[] = [];
  const labelMaps: Float32Array[] = [];
  const segmentCounts: number[] = [];
  for (const image of run.images) {
    const segmentation = segmentations[image.index]!;
    const { labels, count } = segmentation;
    const hide = hideSettings(options, image);
    const hidden = hiddenImage(image, labels, count, hide.mode, hide.value, hide.sigma);
    maps.push(paintSegments(labels, await values(image, segmentation, hidden)));
    labelMaps.push(Float32Array.from(labels));
    segmentCounts.push(count);
  }
  return { maps, segments: labelTensor(labelMaps, run.images[0]!.height, run.images[0]!.width), segmentCounts };
}

/** Per-image label maps (H·W each) as a [N,1,H,W] tensor, for `extras.segments`. */
export function labelTensor(maps: readonly Float32Array[], H: number, W: number): Tensor {
  const data = new Float32Array(maps.length * H * W);
  maps.forEach((m, i) => data.set(m, i * H * W));
  return new Tensor(data, [maps.length, 1, H, W]);
}
