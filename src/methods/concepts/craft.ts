import { computeGradients, opTraits } from '../../autodiff/index.js';
import { LumenError, throwIfCancelled } from '../../errors.js';
import { resizeMapBilinear } from '../../image/preprocess.js';
import type { LumenModel } from '../../model.js';
import { Tensor } from '../../tensor.js';
import { headLogits } from './dff.js';
import { asLayerActivations, pooled, type LayerActivations } from './layer.js';
import { nmf } from './nmf.js';
import { jansenTotalIndices, sobolDesign } from './sobol.js';

export interface CraftOptions {
  layer: string;
  k: number;
  /** Class whose concepts are ranked. */
  target: number;
  /** Crop side as a share of the image side. Default 0.5. */
  cropSize?: number;
  /** Crop stride as a share of the image side. Default 0.25. */
  stride?: number;
  seed?: number;
  /** Crops per concept in the atlas. Default 6. */
  atlasSize?: number;
  batchSize?: number;
  /**
   * How concepts are ranked: 'sobol' (default; the paper's total-order Sobol indices of the concept coefficients,
   * `sobolConceptImportance`) or 'gradient' (gradient × concept, the paper's cheaper alternative).
   */
  importance?: CraftImportance;
  /** Sobol: points of each of the design's matrices A and B (Craft's nb_design). Default 32. */
  designs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export type CraftImportance = 'sobol' | 'gradient';

export interface CraftCrop {
  image: number;
  /** [x0, y0, x1, y1] in input pixels. */
  box: [number, number, number, number];
}

export interface CraftResult {
  layer: string;
  target: number;
  k: number;
  /** The concept bank [k, C]: crops' pooled activations ≈ coefficients · bank. */
  bank: Float32Array;
  crops: CraftCrop[];
  /** Each crop's concept coefficients [crops, k]. */
  coefficients: Float32Array;
  /**
   * Each concept's importance for the target, mean over the images. 'sobol': total-order Sobol index of the
   * concept's coefficient (share of the target logit's variance it takes part in when the coefficients are masked
   * by factors in [0, 1]; ≥ 0). 'gradient': gradient × concept (signed; sums to the gradient × activation the bank explains).
   */
  importance: number[];
  importanceMethod: CraftImportance;
  /** Concepts by decreasing importance. */
  order: number[];
  /** Per concept: the crops that express it most (indices into `crops`), best first. */
  atlas: number[][];
  relativeError: number;
}

/**
 * CRAFT-style concept discovery (Fel et al., CVPR 2023; deel-ai/Craft, Xplique's Craft): crops of the images → the
 * layer's pooled activations → NMF, a bank of k concepts. On the full images the activations are A ≈ U·bank at every
 * position (U fitted with the bank fixed); each concept's importance for the target class is, per image, then
 * averaged over the images:
 * - 'sobol' (the paper's): total-order Sobol indices of the target logit under U_j → m_j·U_j (all positions of a
 *   concept masked together, as Craft's 4-D case), m from a Halton replicated design, Jansen estimator;
 * - 'gradient': Σ_positions U_j · (bank_j · ∇_A logit), gradient × concept.
 * The atlas lists, per concept, the crops with the largest coefficient.
 */
export async function craft(model: LumenModel, images: Tensor, options: CraftOptions): Promise<CraftResult> {
  const { layer, k, target } = options;
  const [n, ch, H, W] = [images.dims[0]!, images.dims[1]!, images.dims[2]!, images.dims[3]!];
  if (n < 1) throw new LumenError('BAD_OPTION', 'CRAFT: no images', 2);
  const cropFrac = options.cropSize ?? 0.5;
  const strideFrac = options.stride ?? 0.25;
  if (!(cropFrac > 0 && cropFrac <= 1) || !(strideFrac > 0 && strideFrac <= 1)) throw new LumenError('BAD_OPTION', `CRAFT: crop size and stride are shares of the image side in (0, 1], got ${cropFrac} and ${strideFrac}`, 2);
  const batch = options.batchSize ?? 32;
  const ch_ = Math.max(1, Math.round(H * cropFrac));
  const cw = Math.max(1, Math.round(W * cropFrac));
  const sy = Math.max(1, Math.round(H * strideFrac));
  const sx = Math.max(1, Math.round(W * strideFrac));
  const crops: CraftCrop[] = [];
  for (let i = 0; i < n; i++) for (let y = 0; y + ch_ <= H; y += sy) for (let x = 0; x + cw <= W; x += sx) crops.push({ image: i, box: [x, y, x + cw, y + ch_] });

  // pooled activations of every crop, resized back to the input size
  const plane = H * W;
  const rows: Float32Array[] = [];
  for (let s = 0; s < crops.length; s += batch) {
    throwIfCancelled(options.signal, 'CRAFT');
    const part = crops.slice(s, s + batch);
    const data = new Float32Array(part.length * ch * plane);
    part.forEach((c, b) => {
      for (let q = 0; q < ch; q++) {
        const src = images.data.subarray((c.image * ch + q) * plane, (c.image * ch + q + 1) * plane);
        const crop = new Float32Array(cw * ch_);
        for (let y = 0; y < ch_; y++) crop.set(src.subarray((c.box[1] + y) * W + c.box[0], (c.box[1] + y) * W + c.box[0] + cw), y * cw);
        data.set(resizeMapBilinear(crop, cw, ch_, W, H), (b * ch + q) * plane);
      }
    });
    const input = new Tensor(data, [part.length, ch, H, W]);
    const { tensors } = await model.forward(input, [layer]);
    const acts = await asLayerActivations(model, input, layer, tensors[layer]!);
    const row = pooled(acts.maps);
    // checked on each batch, so a layer that can be negative fails at the first one
    for (const v of row) if (v < 0) throw new LumenError('BAD_OPTION', `CRAFT needs non-negative activations; layer '${layer}' has ${v} (pick a layer after a ReLU${await nonNegativeHint(model, layer)})`, 2);
    rows.push(row);
    options.onProgress?.(Math.min(s + batch, crops.length), crops.length, 'crops');
  }
  const C = rows[0]!.length / Math.min(batch, crops.length);
  if (k > C) throw new LumenError('BAD_OPTION', `k = ${k} concepts but layer '${layer}' has only ${C} channels; use k ≤ ${C}`, 2);
  const A = new Float64Array(crops.length * C);
  let off = 0;
  for (const r of rows) {
    A.set(r, off);
    off += r.length;
  }
  if (crops.length < k) throw new LumenError('BAD_OPTION', `CRAFT: ${crops.length} crops for k = ${k} concepts; give more images or a smaller stride`, 2);
  const f = nmf(A, crops.length, C, k, { seed: options.seed ?? 0 });
  const bank = Float32Array.from(f.H);

  // importance on the full images: U per image (bank fixed), then Sobol indices or gradient × concept
  const method = options.importance ?? 'sobol';
  const designs = options.designs ?? 32;
  if (method !== 'sobol' && method !== 'gradient') throw new LumenError('BAD_OPTION', `CRAFT: importance must be 'sobol' or 'gradient', got '${String(method)}'`, 2);
  if (!Number.isInteger(designs) || designs < 2) throw new LumenError('BAD_OPTION', `CRAFT: designs must be an integer ≥ 2, got ${designs}`, 2);
  const importance = new Array<number>(k).fill(0);
  const bankT = new Float64Array(C * k);
  for (let j = 0; j < k; j++) for (let c = 0; c < C; c++) bankT[c * k + j] = f.H[j * C + c]!;
  const classes = (await model.forward(images.item(0))).logits.dims[1]!;
  if (!Number.isInteger(target) || target < 0 || target >= classes) throw new LumenError('TARGET_RANGE', `target class ${target}: the model has ${classes} classes (0…${classes - 1})`, 2);
  for (let s = 0; s < n; s += batch) {
    throwIfCancelled(options.signal, 'CRAFT');
    const count = Math.min(batch, n - s);
    const input = images.rows(s, s + count);
    let acts;
    let grads;
    if (method === 'gradient') {
      const seed = new Float32Array(count * classes);
      for (let i = 0; i < count; i++) seed[i * classes + target] = 1;
      const r = await computeGradients(model, input, new Tensor(seed, [count, classes]), { wrt: [layer], fetch: [layer] });
      acts = await asLayerActivations(model, input, layer, r.tensors[layer]!);
      grads = await asLayerActivations(model, input, layer, r.gradients[layer]!);
    } else {
      const { tensors } = await model.forward(input, [layer]);
      acts = await asLayerActivations(model, input, layer, tensors[layer]!);
    }
    const [h, w] = [acts.maps.dims[2]!, acts.maps.dims[3]!];
    const hw = h * w;
    for (let i = 0; i < count; i++) {
      // positions as columns: A_i [C, hw] ≈ bankᵀ [C, k] · U [k, hw]
      const Ai = Float64Array.from(acts.maps.data.subarray(i * C * hw, (i + 1) * C * hw), (v) => Math.max(0, v));
      const U = nmf(Ai, C, hw, k, { fixedW: bankT, seed: 0, maxIterations: 200 }).H;
      let values: number[];
      if (grads) {
        const G = grads.maps.data.subarray(i * C * hw, (i + 1) * C * hw);
        values = Array.from({ length: k }, (_, j) => {
          let s2 = 0;
          for (let p = 0; p < hw; p++) {
            let dir = 0;
            for (let c = 0; c < C; c++) dir += f.H[j * C + c]! * G[c * hw + p]!;
            s2 += U[j * hw + p]! * dir;
          }
          return s2;
        });
      } else {
        values = await sobolConceptImportance(model, acts, U, f.H, { k, C, h, w, target, designs, batch, image: input.item(i), item: i, signal: options.signal });
      }
      for (let j = 0; j < k; j++) importance[j]! += values[j]! / n;
    }
    options.onProgress?.(s + count, n, 'importance');
  }
  const order = importance.map((v, j) => ({ v, j })).sort((a, b) => b.v - a.v).map((x) => x.j);
  const atlasSize = options.atlasSize ?? 6;
  const atlas = Array.from({ length: k }, (_, j) =>
    crops
      .map((_, q) => q)
      .sort((a, b) => f.W[b * k + j]! - f.W[a * k + j]! || a - b)
      .slice(0, atlasSize),
  );
  return { layer, target, k, bank, crops, coefficients: Float32Array.from(f.W), importance, importanceMethod: method, order, atlas, relativeError: f.relativeError };
}

/**
 * Total-order Sobol indices of one image's concept coefficients for the target logit (Craft's estimate_importance,
 * 4-D case): for each row m of the Halton replicated design, the layer values Σ_j m_j·U_j ⊗ bank_j go through the
 * network head; Jansen's estimator turns the logits into one index per concept. A concept absent from the image
 * (U_j = 0) gets exactly 0; an image whose logit no mask moves gets 0 for every concept. `acts` may hold a batch:
 * `item` says which of its images `image` is (its special tokens, e.g. a ViT's class token, go with every row).
 */
export async function sobolConceptImportance(
  model: LumenModel,
  acts: LayerActivations,
  U: ArrayLike<number>,
  bank: ArrayLike<number>,
  o: { k: number; C: number; h: number; w: number; target: number; designs: number; batch: number; image: Tensor; item?: number; signal?: AbortSignal | undefined },
): Promise<number[]> {
  const { k, C, h, w, target, designs, batch } = o;
  const hw = h * w;
  const masks = sobolDesign(k, designs);
  const rows = masks.length / k;
  const logits = new Float64Array(rows);
  for (let s = 0; s < rows; s += batch) {
    throwIfCancelled(o.signal, 'CRAFT');
    const count = Math.min(batch, rows - s);
    const values = new Float32Array(count * C * hw);
    for (let r = 0; r < count; r++) {
      for (let j = 0; j < k; j++) {
        const m = masks[(s + r) * k + j]!;
        if (m === 0) continue;
        for (let c = 0; c < C; c++) {
          const b = m * bank[j * C + c]!;
          if (b === 0) continue;
          const base = (r * C + c) * hw;
          for (let p = 0; p < hw; p++) values[base + p]! += b * U[j * hw + p]!;
        }
      }
    }
    const out = await headLogits(model, acts, new Tensor(values, [count, C, h, w]), o.image, o.item ?? 0);
    const classes = out.dims[1]!;
    for (let r = 0; r < count; r++) logits[s + r] = out.data[r * classes + target]!;
  }
  return jansenTotalIndices(logits, k, designs).map((v) => (Number.isFinite(v) ? v : 0));
}

/**
 * ", e.g. '<name>', a Relu output": the last layer at or before `layer` in graph order whose op is a non-negative
 * activation (its `nonNegative` op trait), or '' when none.
 */
async function nonNegativeHint(model: LumenModel, layer: string): Promise<string> {
  const layers = await model.layers();
  const at = layers.findIndex((l) => l.name === layer);
  const hit = (at < 0 ? layers : layers.slice(0, at + 1)).filter((l) => opTraits(l.op)?.nonNegative === true && l.shape.length >= 3).pop();
  return hit ? `, e.g. '${hit.name}', a ${hit.op} output` : '';
}
