import { LumenError } from '../../errors.js';
import { resizeMapBilinear } from '../../image/preprocess.js';
import { fromNchw, type LayerLayout, type LayerLayoutSpec } from '../../layout.js';
import type { LumenModel } from '../../model.js';
import { headGraph } from '../../onnx/subgraph.js';
import type { Feeds } from '../../runtime/types.js';
import { softmaxRows } from '../../targets/score.js';
import { Tensor } from '../../tensor.js';
import { layerActivations, layerBypass, type LayerActivations } from './layer.js';
import { nmf, type NmfOptions } from './nmf.js';

/** NMF of a layer's activations A [N, C, h, w] as the matrix [C, N·h·w] (pytorch-grad-cam's `dff`). */
export interface Factorization {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  /** Concept embeddings [C, k] row-major: W + the per-channel offset (pytorch-grad-cam's `concepts`). */
  concepts: Float32Array;
  /** Per-channel minimum subtracted before NMF (so that any layer is non-negative), [C]. */
  offset: Float32Array;
  /** Concept maps H as [N, k, h, w]: A[n, c, p] ≈ offset[c] + Σ_j (concepts[c, j] − offset[c])·maps[n, j, p]. */
  maps: Tensor;
  relativeError: number;
}

/**
 * pytorch-grad-cam's `dff(activations, n_components)`: channels × (images · positions), shifted by each channel's
 * minimum, factorized into k non-negative concepts (HALS here, sklearn NMF there; both minimise ‖V − WH‖_F).
 */
export function factorizeActivations(A: Tensor, k: number, options: NmfOptions = {}): Factorization {
  if (A.rank !== 4) throw new Error(`internal: factorizeActivations wants [N, C, h, w], got [${A.dims.join(', ')}]`);
  const [n, c, h, w] = [A.dims[0]!, A.dims[1]!, A.dims[2]!, A.dims[3]!];
  if (!Number.isInteger(k) || k < 1) throw new LumenError('BAD_OPTION', `k must be a positive integer, got ${k}`, 2);
  if (k > c) throw new LumenError('BAD_OPTION', `k = ${k} concepts but the layer has only ${c} channels; use k ≤ ${c}`, 2);
  const hw = h * w;
  const cols = n * hw;
  const V = new Float64Array(c * cols);
  const offset = new Float32Array(c);
  for (let ch = 0; ch < c; ch++) {
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < hw; p++) {
        const v = A.data[(i * c + ch) * hw + p]!;
        const x = Number.isNaN(v) ? 0 : v;
        V[ch * cols + i * hw + p] = x;
        if (x < min) min = x;
      }
    }
    offset[ch] = min;
    for (let q = 0; q < cols; q++) V[ch * cols + q]! -= min;
  }
  const r = nmf(V, c, cols, k, options);
  const concepts = new Float32Array(c * k);
  for (let ch = 0; ch < c; ch++) for (let j = 0; j < k; j++) concepts[ch * k + j] = r.W[ch * k + j]! + offset[ch]!;
  const maps = new Float32Array(n * k * hw);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) for (let p = 0; p < hw; p++) maps[(i * k + j) * hw + p] = r.H[j * cols + i * hw + p]!;
  return { n, c, h, w, k, concepts, offset, maps: new Tensor(maps, [n, k, h, w]), relativeError: r.relativeError };
}

/** Σ_j (concepts[c, j] − offset[c])·maps[n, j, p] + offset[c]: the factorization's reconstruction [N, C, h, w]. */
export function reconstruct(f: Factorization): Tensor {
  const { n, c, h, w, k } = f;
  const hw = h * w;
  const out = new Float32Array(n * c * hw);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < hw; p++) {
        let s = f.offset[ch]!;
        for (let j = 0; j < k; j++) s += (f.concepts[ch * k + j]! - f.offset[ch]!) * f.maps.data[(i * k + j) * hw + p]!;
        out[(i * c + ch) * hw + p] = s;
      }
    }
  }
  return new Tensor(out, [n, c, h, w]);
}

export interface DffOptions extends NmfOptions {
  layer: string;
  k: number;
  /** The layer's layout when the detected one is wrong (src/layout.ts). */
  layerLayout?: LayerLayoutSpec;
  /** Also score the concepts through the network head (default true). */
  scores?: boolean;
}

export interface DffResult extends Factorization {
  layer: string;
  /** Concept maps upsampled to the input size and min-max scaled per map (pytorch-grad-cam scale_cam_image): [N, k, H, W]. */
  upsampled: Tensor;
  /** Head output for each concept, [k, classes] (logits), and its softmax: see `conceptScores`. */
  conceptLogits?: Tensor;
  conceptProbabilities?: Tensor;
  /**
   * True when k ≥ 2 and every concept got the same logits (to 1e-6 of their scale): the head does not read this
   * layer's positions — e.g. a ViT after its last attention block, whose classifier reads the class token only — so
   * the scores say nothing about the concepts; pick an earlier layer (the default CAM layer is one).
   */
  scoresIgnoreConcepts?: boolean;
  /**
   * A skip connection goes around the layer (TCAV's `bypassed`): the concept scores are then the network's output for
   * the first image with the concept in place of the layer, the bypass carrying the first image (a ViT's ln_1: every
   * concept reads as the first image's class). `cutLayer`: the nearest earlier layer every path goes through.
   */
  bypassed?: boolean;
  cutLayer?: string;
}

/**
 * Deep Feature Factorization (Collins et al. 2018; pytorch-grad-cam's DeepFeatureFactorization and run_dff_on_image)
 * over a batch of images.
 */
export async function deepFeatureFactorization(model: LumenModel, input: Tensor, options: DffOptions): Promise<DffResult> {
  const acts = await layerActivations(model, input, options.layer, options.layerLayout);
  const [, c, h, w] = acts.maps.dims as [number, number, number, number];
  if (h * w <= 1) {
    throw new LumenError('BAD_OPTION', `layer '${options.layer}' has no spatial extent ([${acts.native.dims.join(', ')}], ${h}×${w}): Deep Feature Factorization needs a feature map with h×w > 1 positions; pick a convolutional layer ('lumen layers' lists them)`, 2);
  }
  if (options.k > c) throw new LumenError('BAD_OPTION', `k = ${options.k} concepts but layer '${options.layer}' has only ${c} channels; use k ≤ ${c}`, 2);
  const f = factorizeActivations(acts.maps, options.k, options);
  const [H, W] = inputSize(input);
  const up = new Float32Array(f.n * f.k * H * W);
  for (let q = 0; q < f.n * f.k; q++) {
    const map = resizeMapBilinear(f.maps.data.subarray(q * h * w, (q + 1) * h * w), w, h, W, H);
    minMax(map);
    up.set(map, q * H * W);
  }
  const result: DffResult = { ...f, layer: options.layer, upsampled: new Tensor(up, [f.n, f.k, H, W]) };
  if (options.scores !== false) {
    result.conceptLogits = await conceptScores(model, input, acts, f.concepts, f.k);
    result.conceptProbabilities = softmaxRows(result.conceptLogits);
    result.scoresIgnoreConcepts = sameRows(result.conceptLogits);
    const bypass = await layerBypass(model, options.layer);
    result.bypassed = bypass.bypassed;
    if (bypass.cutLayer !== undefined) result.cutLayer = bypass.cutLayer;
  }
  return result;
}

/**
 * Each concept's `top` classes by head softmax (`conceptProbabilities` [k, classes]), most probable first: what the
 * CLI's legend, table and JSON and the web app's legend and table list.
 */
export function conceptTopClasses(probabilities: Tensor, top: number): { class: number; probability: number }[][] {
  const [k, classes] = [probabilities.dims[0]!, probabilities.dims[1]!];
  return Array.from({ length: k }, (_, j) =>
    Array.from(probabilities.data.subarray(j * classes, (j + 1) * classes), (probability, c) => ({ class: c, probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, top),
  );
}

/** A concept's classes as its legend line and the tables (CLI page, web app, report) list them: '<class> <p>, …'. */
export function conceptClassesText(classes: readonly { label: string; probability: number }[], digits = 3): string {
  return classes.map((t) => `${t.label} ${t.probability.toFixed(digits)}`).join(', ');
}

/** A concept's legend line on its map: '<concept>: <class> <p>, …' (p to 2 decimals). */
export function conceptLegendLine(concept: number, classes: readonly { label: string; probability: number }[]): string {
  return `${concept}: ${conceptClassesText(classes, 2)}`;
}

/**
 * Each concept's class scores through the network head. pytorch-grad-cam calls `classifier(W.T)` on the pooled
 * features; the general form used here runs the ONNX graph from the layer to the logits on a layer tensor whose
 * every position holds the concept vector. For a head that begins with global average pooling (ResNet, VGG with
 * GAP, the shapes models) this is exactly `classifier(concept)`; for another head it is "the output the network
 * gives when the concept fills the whole map". When a skip connection bypasses the layer, the first image is fed too.
 */
export async function conceptScores(model: LumenModel, input: Tensor, acts: LayerActivations, concepts: Float32Array, k: number): Promise<Tensor> {
  const [, c, h, w] = acts.maps.dims as [number, number, number, number];
  const hw = h * w;
  const filled = new Float32Array(k * c * hw);
  for (let j = 0; j < k; j++) for (let ch = 0; ch < c; ch++) filled.fill(concepts[ch * k + j]!, (j * c + ch) * hw, (j * c + ch + 1) * hw);
  return headLogits(model, acts, new Tensor(filled, [k, c, h, w]), input.item(0));
}

/**
 * The network's head — the ONNX graph from `acts.layer` to the logits — on layer values given as NCHW
 * [n, C, h, w] (converted to the layer's own layout). `image` ([1, …]) is fed too, repeated, when a skip connection
 * bypasses the layer. At a token layer with special tokens (a ViT's class token) only the patch tokens come from
 * `values`; every row's special tokens are those of item `item` of `acts` (the activations of `image`).
 * Runs through `model.session`, so a model whose file fixed the batch at 1 runs it too.
 */
export async function headLogits(model: LumenModel, acts: LayerActivations, values: Tensor, image: Tensor, item = 0): Promise<Tensor> {
  const n = values.dims[0]!;
  const feed = acts.layout ? fromNchw(values, acts.layout, itemOf(acts.native, acts.layout, item)) : values.reshape([n, values.dims[1]!]);
  const key = `concept-head:${acts.layer}`;
  const session = await model.session(key, () => headGraph(model.proto, acts.layer, [model.logitsName]).graph.toBytes());
  const feeds: Feeds = { [acts.layer]: feed };
  if (session.inputNames.includes(model.inputName)) feeds[model.inputName] = Tensor.concat(Array.from({ length: n }, () => image));
  const out = await session.run(feeds, [model.logitsName]);
  return out[model.logitsName]!;
}

/** Item i of a layer tensor in its own layout, batch of 1 ([T, B, C] token layers keep the batch on axis 1). */
function itemOf(native: Tensor, layout: LayerLayout, i: number): Tensor {
  if (layout.kind !== 'tokens' || !layout.sequenceFirst) return native.item(i);
  const [t, b, c] = [native.dims[0]!, native.dims[1]!, native.dims[2]!];
  const out = new Float32Array(t * c);
  for (let p = 0; p < t; p++) out.set(native.data.subarray((p * b + i) * c, (p * b + i + 1) * c), p * c);
  return new Tensor(out, [t, 1, c]);
}

/** Every row of a [k, classes] tensor equals the first (to 1e-6 of the largest magnitude), k ≥ 2. */
function sameRows(t: Tensor): boolean {
  const [k, m] = [t.dims[0]!, t.dims[1]!];
  if (k < 2) return false;
  let scale = 0;
  for (const v of t.data) scale = Math.max(scale, Math.abs(v));
  for (let j = 1; j < k; j++) for (let c = 0; c < m; c++) if (Math.abs(t.data[j * m + c]! - t.data[c]!) > 1e-6 * scale) return false;
  return true;
}

/** Lumen's API takes NCHW images for every model (src/layout.ts). */
function inputSize(input: Tensor): [number, number] {
  return [input.dims[2]!, input.dims[3]!];
}

function minMax(map: Float32Array): void {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const d = max - min + 1e-7;
  for (let i = 0; i < map.length; i++) map[i] = (map[i]! - min) / d;
}
