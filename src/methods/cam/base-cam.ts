import { computeGradients, gradientsOfCheckedInput } from '../../autodiff/index.js';
import { LumenError, throwIfCancelled } from '../../errors.js';
import { resizeMapBilinear } from '../../image/preprocess.js';
import type { ValueRange } from '../../image/resize-map.js';
import type { LumenModel } from '../../model.js';
import { forwardTarget, resolveBatchTargets, resolveTargets, rankTarget, targetTensor, type RankTarget, type ResolvedTargets, type TargetSpec } from '../../targets/index.js';
import { Tensor } from '../../tensor.js';
import { toNchw, type LayerLayout, type LayerLayoutSpec } from '../../layout.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Method, MethodInfo, OptionSpec, OptionsOf, ParsedOptions, Timings } from '../types.js';
import { firstComponentProjection } from './linalg.js';
import { batchSizeOption } from '../common-options.js';

/** pytorch-grad-cam's `scale_cam_image` epsilon: img = (img − min) / (max − min + 1e-7). */
export const CAM_EPS = 1e-7;

/** One target layer's tensors for the whole batch. */
export interface CamLayer {
  name: string;
  /** A: the layer's output as [N, C, h, w] (NHWC and token layers rearranged: src/layout.ts). */
  activations: Tensor;
  /** G = d(score)/dA, same shape (only for methods with `needsGradients`). */
  gradients?: Tensor;
  /** The layer's own layout, and its output as the graph has it (for methods that feed it back: Ablation-CAM). */
  layout?: LayerLayout;
  native?: Tensor;
}

/** What a CAM method's weighting sees besides the layer tensors. */
export interface CamContext {
  readonly model: LumenModel;
  /** The batch being explained [N, C, H, W] (after target expansion and augmentation). */
  readonly input: Tensor;
  readonly targets: ResolvedTargets;
  readonly options: CamValues;
  readonly timings: Timings;
  /** `options.batchSize` (with the default the definition's `batching` declares), else `fallback` (1). */
  batchSize(fallback?: number): number;
  /** Throws LumenError('CANCELLED') when the caller's signal has fired. */
  checkAborted(): void;
  progress(done: number, total: number, stage: string): void;
}

/**
 * The options every CAM takes, as a caller passes them: the declared ones (CAM_OPTIONS). The layer layout is declared
 * as 'string' (flag and form text: NCHW, NHWC, tokens:K+HxW); the API also takes a LayerLayout object.
 */
export type CamOptions = OptionsOf<typeof CAM_OPTIONS> & { layerLayout?: LayerLayoutSpec };

/** The shared CAM options as explain and the weightings receive them (checked and parsed: CAM_OPTIONS' defaults applied). */
export type CamValues = ParsedOptions<typeof CAM_OPTIONS>;

/**
 * A CAM method: metadata plus ONE of `weights` (channel weights w[n, c]; map = Σ_c w_c A_c), `channelWeight` (w of
 * one channel from its A and G) or `contributions` (per-channel spatial maps [N, C, h, w] whose channel sum is the map).
 */
export type CamDefinition = CamDefinitionBase &
  (
    | { needsGradients: boolean; channelWeight?: undefined }
    | {
        /** The weight of one channel from its A and G (`channelWeights`; Grad-CAM++, XGrad-CAM): defineCam makes `weights` from it, and the method needs gradients. */
        channelWeight: ChannelWeight;
        needsGradients?: true;
      }
  );

interface CamDefinitionBase {
  id: string;
  aliases?: readonly string[];
  title: string;
  summary: string;
  /** What one explanation runs; default: '1 forward + backward to the layer' with gradients, '1 forward to the layer' without. With `batching`, defineCam appends ', batched by batchSize (<default>)'. */
  cost?: string;
  reference?: string;
  /** A known limit of the method (MethodInfo.caveat). */
  caveat?: string;
  /** Weights from extra forward passes run `batchSize` at a time (Score-CAM, Ablation-CAM): the default and what one unit is; declares the `batchSize` option. */
  batching?: { default: number; description: string };
  /** Method-specific options (shown by the CLI and web app) besides the shared CAM ones. */
  options?: readonly OptionSpec[];
  /** Channel weights, [N·C] row-major. */
  weights?: (layer: CamLayer, ctx: CamContext) => Float32Array | Promise<Float32Array>;
  /** Per-channel contributions [N·C·h·w] (HiResCAM, LayerCAM, element-wise, Eigen*). */
  contributions?: (layer: CamLayer, ctx: CamContext) => Float32Array;
  /** The map is always the first principal component of the contributions (EigenCAM, EigenGradCAM). */
  alwaysProject?: boolean;
}

/** A CamDefinition with defineCam's defaults filled in. */
export type CamSettled = CamDefinitionBase & { needsGradients: boolean; cost: string };

/** Overrides the detected layout of the target layers (`lumen layers` shows what was detected). */
export const LAYER_LAYOUT_OPTION = {
  name: 'layerLayout',
  type: 'string',
  description: "the target layer's layout when the detected one is wrong: NCHW, NHWC, tokens, tokens:K or tokens:K+HxW (K special tokens before an H×W patch grid)",
} as const satisfies OptionSpec;

/** The options every CAM declares (literal types: the values explain receives are typed from them, CamValues). */
export const CAM_OPTIONS = [
  { name: 'raw', type: 'boolean', default: false, description: 'also return the pre-ReLU layer-resolution map and channel weights (extras raw, weights)' },
  { name: 'augSmooth', type: 'boolean', default: false, description: 'test-time augmentation: horizontal flip × input scaled by 0.9/1/1.1, maps averaged (6× cost)' },
  { name: 'eigenSmooth', type: 'boolean', default: false, description: 'first principal component of the weighted activations instead of their sum' },
  LAYER_LAYOUT_OPTION,
] as const satisfies readonly OptionSpec[];

/** [n, c, h, w] of an image batch (NCHW for every model: src/layout.ts). */
export function imageDims(input: Tensor): [number, number, number, number] {
  return [input.dims[0]!, input.dims[1]!, input.dims[2]!, input.dims[3]!];
}

/** Dims of an [N, C, h, w] tensor. */
export function nchw(t: Tensor): [number, number, number, number] {
  if (t.rank !== 4) throw new LumenError('UNSUPPORTED_MODEL', `expected a 4-D [N, C, h, w] layer tensor, got [${t.dims.join(', ')}]`);
  return [t.dims[0]!, t.dims[1]!, t.dims[2]!, t.dims[3]!];
}

/** Σ_c w[n,c]·A[n,c] for each image: [N·h·w]. */
export function weightedSum(activations: Tensor, weights: Float32Array): Float32Array {
  const [n, c, h, w] = nchw(activations);
  const hw = h * w;
  const out = new Float32Array(n * hw);
  const acc = new Float64Array(hw);
  const a = activations.data;
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    // four channels per sweep over the map: a quarter of the accumulator loads and stores
    let ch = 0;
    for (; ch + 3 < c; ch += 4) {
      const k = i * c + ch;
      const w0 = weights[k]!, w1 = weights[k + 1]!, w2 = weights[k + 2]!, w3 = weights[k + 3]!;
      const b0 = k * hw, b1 = b0 + hw, b2 = b1 + hw, b3 = b2 + hw;
      for (let p = 0; p < hw; p++) acc[p]! += w0 * a[b0 + p]! + w1 * a[b1 + p]! + w2 * a[b2 + p]! + w3 * a[b3 + p]!;
    }
    for (; ch < c; ch++) {
      const wc = weights[i * c + ch]!;
      const base = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) acc[p]! += wc * a[base + p]!;
    }
    out.set(acc, i * hw);
  }
  return out;
}

/** Mean over h·w of each channel: [N·C] (Grad-CAM's weights from G). */
export function spatialMean(t: Tensor): Float32Array {
  const [n, c, h, w] = nchw(t);
  const hw = h * w;
  const m = n * c;
  const out = new Float32Array(m);
  const data = t.data;
  // four channels per sweep, each summed in its own order (same results): the four sums do not wait on each other
  let k = 0;
  for (; k + 3 < m; k += 4) {
    const b0 = k * hw, b1 = b0 + hw, b2 = b1 + hw, b3 = b2 + hw;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0; p < hw; p++) {
      s0 += data[b0 + p]!;
      s1 += data[b1 + p]!;
      s2 += data[b2 + p]!;
      s3 += data[b3 + p]!;
    }
    out[k] = s0 / hw;
    out[k + 1] = s1 / hw;
    out[k + 2] = s2 / hw;
    out[k + 3] = s3 / hw;
  }
  for (; k < m; k++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += data[k * hw + p]!;
    out[k] = s / hw;
  }
  return out;
}

/** Element-wise map f(a, g) over A and G: [N·C·h·w]. */
export function elementwise(layer: CamLayer, f: (a: number, g: number) => number): Float32Array {
  const a = layer.activations.data;
  const g = requireGradients(layer).data;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, g[i]!);
  return out;
}

/** The weight of the channel whose h·w values of A and G start at `offset`, given Σ_hw A of the channel. */
export type ChannelWeight = (a: Float32Array, g: Float32Array, offset: number, hw: number, sumA: number) => number;

/**
 * One weight per item and channel from that channel's A and G (the h·w values from `offset`) and Σ_hw A of the
 * channel, which both Grad-CAM++ and XGrad-CAM normalize by: [N·C].
 */
function channelWeights(layer: CamLayer, weight: ChannelWeight): Float32Array {
  const [n, c, h, w] = nchw(layer.activations);
  const a = layer.activations.data;
  const g = requireGradients(layer).data;
  const hw = h * w;
  const weights = new Float32Array(n * c);
  for (let k = 0; k < n * c; k++) {
    let sumA = 0;
    for (let p = 0; p < hw; p++) sumA += a[k * hw + p]!;
    weights[k] = weight(a, g, k * hw, hw, sumA);
  }
  return weights;
}

export function requireGradients(layer: CamLayer): Tensor {
  if (!layer.gradients) throw new Error(`internal: gradients of '${layer.name}' were not computed`);
  return layer.gradients;
}

/** pytorch-grad-cam scale_cam_image on one map, in place: x − min, then / (max + eps). */
export function minMaxInPlace(map: Float32Array, eps = CAM_EPS): Float32Array {
  // Two passes: max(fround(x − min)) = fround(max − min) because rounding is monotonic, so the maximum of the
  // shifted map is known before shifting. This runs on every full-size map.
  const n = map.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = map[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return map;
  return rescaleInPlace(map, min, max, eps);
}

/** The second pass of `minMaxInPlace`, for a map whose min and max are known: x − min, then / (max − min + eps). */
function rescaleInPlace(map: Float32Array, min: number, max: number, eps = CAM_EPS): Float32Array {
  const divisor = Math.fround(eps + Math.fround(max - min));
  for (let i = 0; i < map.length; i++) map[i] = Math.fround(map[i]! - min) / divisor;
  return map;
}

/** Several classes for one image: the image is repeated so each class gets its own heatmap in one batch. */
export function expandTargets(input: Tensor, spec: TargetSpec | undefined): { input: Tensor; spec: TargetSpec | undefined } {
  if (input.dims[0] !== 1 || spec === undefined) return { input, spec };
  const list = Array.isArray(spec) ? (spec as readonly number[]) : typeof spec === 'object' && 'class' in spec && Array.isArray(spec.class) ? (spec.class as readonly number[]) : undefined;
  if (!list || list.length <= 1) return { input, spec };
  return { input: Tensor.concat(list.map(() => input)), spec };
}

/** Resolve targets, running the model only when the spec needs its outputs (top-k, default, …). */
export function resolveCamTargets(model: LumenModel, input: Tensor, spec: TargetSpec | undefined, ctx: { timings: Timings }): Promise<ResolvedTargets> {
  return resolveBatchTargets(model, input, spec, ctx.timings);
}

/** Resize one [h, w] map to [H, W] with cv2.resize INTER_LINEAR semantics (identity when sizes match). */
export function resizeLinear(map: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  if (h === outH && w === outW) return map.slice();
  return resizeMapBilinear(map, w, h, outW, outH);
}

/** The six test-time augmentations of pytorch-grad-cam (ttach HorizontalFlip × Multiply(0.9, 1, 1.1)). */
const AUGMENTATIONS: readonly { flip: boolean; factor: number }[] = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));

/** Mirror along the width: `planes` blocks of h rows of w values. */
function flipWidth(data: Float32Array, planes: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < h; y++) {
      const row = (p * h + y) * w;
      for (let x = 0; x < w; x++) out[row + x] = data[row + w - 1 - x]!;
    }
  }
  return out;
}

/**
 * Runs `compute` (final maps [N·H·W] for a batch) on the six augmented copies of the batch in ONE call, maps
 * each result back (un-flip) and averages them, as pytorch-grad-cam's forward_augmentation_smoothing (no
 * re-normalization after the mean).
 */
export async function withAugmentation(
  model: LumenModel,
  input: Tensor,
  targets: ResolvedTargets,
  compute: (input: Tensor, targets: ResolvedTargets) => Promise<Float32Array>,
): Promise<Float32Array> {
  const [n, c, h, w] = imageDims(input);
  const parts = AUGMENTATIONS.map(({ flip, factor }) => {
    const data = !flip ? input.data.slice() : flipWidth(input.data, n * c, h, w);
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]! * factor);
    return new Tensor(data, input.dims);
  });
  const big: ResolvedTargets = { ...targets, classes: AUGMENTATIONS.flatMap(() => targets.classes), seed: Tensor.concat(AUGMENTATIONS.map(() => targets.seed)) };
  const maps = await compute(Tensor.concat(parts), big);
  const size = n * h * w;
  const sum = new Float64Array(size);
  AUGMENTATIONS.forEach(({ flip }, a) => {
    const part = maps.subarray(a * size, (a + 1) * size);
    const back = flip ? flipWidth(part, n, h, w) : part;
    for (let i = 0; i < size; i++) sum[i]! += back[i]!;
  });
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = sum[i]! / AUGMENTATIONS.length;
  return out;
}

export function newContext(model: LumenModel, input: Tensor, targets: ResolvedTargets, options: CamValues, timings: Timings): CamContext {
  return {
    model,
    input,
    targets,
    options,
    timings,
    // (checked by explain; a definition with `batching` declares batchSize, so its default is already applied)
    batchSize: (fallback = 1) => options.batchSize ?? fallback,
    checkAborted: () => throwIfCancelled(options.signal),
    progress: (done, total, stage) => options.onProgress?.({ done, total, stage }),
  };
}

interface LayerResult {
  name: string;
  raw: Float32Array;
  h: number;
  w: number;
  weights?: Float32Array;
  channels: number;
}

/**
 * Everything for one batch: per-layer raw maps and the aggregated final maps [N·H·W]. `inputChecked`: the batch is
 * the validated explain input (or copies of it), so the gradient run does not scan it again.
 */
async function runCam(def: CamSettled, model: LumenModel, input: Tensor, target: ResolvedTargets | RankTarget, layers: readonly string[], options: CamValues, timings: Timings, inputChecked = false): Promise<{ finals: Float32Array; layers: LayerResult[]; targets: ResolvedTargets }> {
  throwIfCancelled(options.signal);
  let tensors: Record<string, Tensor>;
  let gradients: Record<string, Tensor> = {};
  let targets: ResolvedTargets;
  const t0 = performance.now();
  if (def.needsGradients) {
    const seed = 'seed' in target ? target.seed : { rank: target.rank };
    const tensor = targetTensor(model, target);
    const r = await (inputChecked ? gradientsOfCheckedInput : computeGradients)(model, input, seed, { wrt: [...layers], fetch: [...layers], output: target.output, ...(tensor !== model.logitsName ? { tensor } : {}) });
    tensors = r.tensors;
    gradients = r.gradients;
    timings.compileMs += r.compileMs;
    timings.runMs += r.runMs;
    if ('seed' in target) {
      targets = target;
    } else {
      if (!r.classes) throw new Error('internal: the gradient run did not report the ranked classes');
      targets = resolveTargets({ class: r.classes, output: target.output }, r.logits, model.classNames);
      if (target.tensor !== model.logitsName) targets.tensor = target.tensor;
    }
  } else {
    const r = await forwardTarget(model, input, targetTensor(model, target), layers);
    tensors = r.tensors;
    timings.runMs += performance.now() - t0;
    if ('seed' in target) {
      targets = target;
    } else {
      targets = resolveTargets({ class: `top${target.rank}`, output: target.output }, r.values, model.classNames);
      if (target.tensor !== model.logitsName) targets.tensor = target.tensor;
    }
  }
  const ctx = newContext(model, input, targets, options, timings);

  const results: LayerResult[] = [];
  for (const name of layers) {
    const native = tensors[name];
    if (!native) throw new Error(`internal: layer '${name}' was not fetched`);
    const layout = await model.layerLayout(name, input, options.layerLayout);
    const activations = toNchw(native, layout);
    const g = gradients[name];
    const layer: CamLayer = { name, activations, gradients: g && toNchw(g, layout), layout, native };
    const [n, c, h, w] = nchw(activations);
    let weights: Float32Array | undefined;
    let contributions: Float32Array | undefined;
    if (def.weights) {
      weights = await def.weights(layer, ctx);
      if (options.eigenSmooth || def.alwaysProject) {
        contributions = new Float32Array(activations.size);
        const hw = h * w;
        for (let k = 0; k < n * c; k++) {
          const wk = weights[k]!;
          for (let p = 0; p < hw; p++) contributions[k * hw + p] = wk * activations.data[k * hw + p]!;
        }
      }
    } else if (def.contributions) {
      contributions = def.contributions(layer, ctx);
    } else {
      throw new Error(`internal: CAM method ${def.id} defines neither weights nor contributions`);
    }
    const raw = options.eigenSmooth || def.alwaysProject ? projectEach(contributions!, n, c, h * w) : contributions ? channelSum(contributions, n, c, h * w) : weightedSum(activations, weights!);
    results.push({ name, raw, h, w, weights, channels: c });
  }
  const [n, , outH, outW] = imageDims(input);
  return { finals: aggregateLayers(results, n, outH, outW), layers: results, targets };
}

function channelSum(contributions: Float32Array, n: number, c: number, hw: number): Float32Array {
  const out = new Float32Array(n * hw);
  const acc = new Float64Array(hw);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * hw;
      for (let p = 0; p < hw; p++) acc[p]! += contributions[base + p]!;
    }
    out.set(acc, i * hw);
  }
  return out;
}

function projectEach(contributions: Float32Array, n: number, c: number, hw: number): Float32Array {
  const out = new Float32Array(n * hw);
  for (let i = 0; i < n; i++) out.set(firstComponentProjection(contributions.subarray(i * c * hw, (i + 1) * c * hw), c, hw), i * hw);
  return out;
}

/**
 * pytorch-grad-cam post-processing: per layer ReLU → min-max → cv2 bilinear resize to the input size; then ReLU,
 * mean over layers and a second min-max (no resize).
 */
export function aggregateLayers(layers: readonly { raw: Float32Array; h: number; w: number }[], n: number, outH: number, outW: number): Float32Array {
  const size = outH * outW;
  const finals = new Float32Array(n * size);
  const sum = layers.length > 1 ? new Float64Array(size) : undefined;
  for (let i = 0; i < n; i++) {
    const out = finals.subarray(i * size, (i + 1) * size);
    let resized: ValueRange | undefined;
    sum?.fill(0);
    for (const { raw, h, w } of layers) {
      const map = raw.slice(i * h * w, (i + 1) * h * w);
      for (let p = 0; p < map.length; p++) if (map[p]! < 0) map[p] = 0;
      minMaxInPlace(map);
      if (!sum) {
        // One layer: the mean is the resized map itself. Its ReLU is a no-op: bilinear weights are ≥ 0 and the
        // min-maxed values lie in [0, 1]. The resize reports its min and max, so the final min-max needs one pass.
        if (h === outH && w === outW) out.set(map);
        else resizeMapBilinear(map, w, h, outW, outH, out, (resized = { min: Infinity, max: -Infinity }));
      } else {
        const up = resizeLinear(map, h, w, outH, outW);
        for (let p = 0; p < size; p++) sum[p]! += up[p]! > 0 ? up[p]! : 0;
      }
    }
    if (sum) for (let p = 0; p < size; p++) out[p] = sum[p]! / layers.length;
    if (resized) rescaleInPlace(out, resized.min, resized.max);
    else minMaxInPlace(out);
  }
  return finals;
}

/** A registered CAM method that keeps its definition (tests and custom pipelines call the weighting directly). */
export interface CamMethod extends Method {
  readonly definition: CamSettled;
}

/** Build and register a CAM method from its definition (kept with its defaults filled in: `cost`, `weights` from `channelWeight`). */
export function defineCam(own: CamDefinition): CamMethod {
  const { channelWeight, ...rest } = own;
  const needsGradients = own.needsGradients ?? true;
  const def: CamSettled = {
    ...rest,
    needsGradients,
    cost: (own.cost ?? (needsGradients ? '1 forward + backward to the layer' : '1 forward to the layer')) + (own.batching ? `, batched by batchSize (${own.batching.default})` : ''),
    ...(channelWeight ? { weights: (layer: CamLayer) => channelWeights(layer, channelWeight) } : {}),
  };
  // the shared options keep their literal types (explain receives CamValues); a method's own follow them
  const info: MethodInfo & { options: readonly [...typeof CAM_OPTIONS, ...OptionSpec[]] } = {
    id: def.id,
    aliases: def.aliases ?? [],
    title: def.title,
    family: 'cam',
    summary: def.summary,
    needsGradients: def.needsGradients,
    needsBaseline: false,
    needsLayer: true,
    output: 'map',
    signed: false,
    cost: def.cost,
    reference: def.reference,
    ...(def.caveat === undefined ? {} : { caveat: def.caveat }),
    options: [...CAM_OPTIONS, ...(def.batching ? [batchSizeOption(def.batching.default, def.batching.description)] : []), ...(def.options ?? [])],
  };
  const method = registerMethod({
    info,
    async explain(model, input, opts) {
      const timings: Timings = { compileMs: 0, runMs: 0 };
      const expanded = expandTargets(input, opts.target);
      const batch = expanded.input;
      const layers = await model.resolveLayers(opts.layer, batch);
      // Without augmentation a top-k target is resolved by the run itself (no extra forward pass).
      const rank = opts.augSmooth ? undefined : await rankTarget(model, batch, expanded.spec);
      let targets = rank ? undefined : await resolveCamTargets(model, batch, expanded.spec, { timings });

      const plain = opts.augSmooth ? undefined : await runCam(def, model, batch, targets ?? rank!, layers, opts, timings, true);
      let finals: Float32Array;
      let layerResults: LayerResult[];
      if (plain) {
        finals = plain.finals;
        layerResults = plain.layers;
        targets = plain.targets;
      } else if (!targets) {
        throw new Error('internal: augmentation needs resolved targets');
      } else {
        let captured: LayerResult[] = [];
        finals = await withAugmentation(model, batch, targets, async (augInput, augTargets) => {
          const r = await runCam(def, model, augInput, augTargets, layers, opts, timings);
          captured = r.layers;
          return r.finals;
        });
        // Raw maps/weights of the un-augmented variant (flip off, factor 1 = the second of the six).
        const n = batch.dims[0]!;
        layerResults = captured.map((l) => ({
          ...l,
          raw: l.raw.slice(n * l.h * l.w, 2 * n * l.h * l.w),
          weights: l.weights?.slice(n * l.channels, 2 * n * l.channels),
        }));
      }
      const [n, , h, w] = imageDims(batch);
      const explanation: Explanation = {
        method: def.id,
        attribution: new Tensor(finals, [n, 1, h, w]),
        targets: targets.classes,
        extras: { layers: layers.join(', ') },
        timings,
      };
      if (opts.raw) addRawExtras(explanation, layerResults, n);
      return explanation;
    },
  });
  // (registerMethod registers and returns the object itself: the definition goes on the same object)
  return Object.assign(method, { definition: def });
}

/** extras.raw / extras.weights for the first layer, plus `raw:<layer>` / `weights:<layer>` for every layer. */
export function addRawExtras(explanation: Explanation, layers: readonly LayerResult[], n: number): void {
  layers.forEach((l, i) => {
    const raw = new Tensor(l.raw, [n, 1, l.h, l.w]);
    const weights = l.weights ? new Tensor(l.weights, [n, l.channels]) : undefined;
    if (i === 0) {
      explanation.extras.raw = raw;
      if (weights) explanation.extras.weights = weights;
    }
    explanation.extras[`raw:${l.name}`] = raw;
    if (weights) explanation.extras[`weights:${l.name}`] = weights;
  });
}
