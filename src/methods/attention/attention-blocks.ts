import { LumenError } from '../../errors.js';
import { resizeMapBilinear } from '../../image/resize-map.js';
import { layerLayouts } from '../../layout.js';
import type { LumenModel } from '../../model.js';
import { attrInt } from '../../onnx/attributes.js';
import { Tensor } from '../../tensor.js';
import { minMaxInPlace } from '../cam/base-cam.js';
import { batchSizeOption } from '../common-options.js';

/** The attention blocks of a vision transformer, as found in its graph. */
export interface AttentionBlocks {
  /** Output of each block's attention Softmax, in graph order: [B, heads, T, T] or [B·heads, T, T]. */
  softmax: string[];
  /** Heads per block. */
  heads: number[];
  /** Tokens T = prefix special tokens (class token first) + height × width patch tokens. */
  tokens: number;
  prefix: number;
  height: number;
  width: number;
}

/**
 * Attention probabilities are the output of a Softmax over the last axis of a square [.., T, T] tensor whose T is
 * the token count of the model's token sequence ([B, T, C] with a patch grid, from src/layout.ts). That excludes
 * windowed attention (Swin, MaxViT: T is a window's size, not the sequence) and any other Softmax (the head's).
 * Shapes are `model.tensorShapes` at batch 1, so B·heads = heads there.
 */
export async function attentionBlocks(model: LumenModel, like: Tensor, method: string): Promise<AttentionBlocks> {
  const shapes = await model.tensorShapes(like);
  const grids = new Map<number, { prefix: number; height: number; width: number }>();
  for (const [, layout] of layerLayouts(model.graph, model.inputName, shapes)) {
    if (layout.kind !== 'tokens') continue;
    const t = layout.prefix + layout.height * layout.width; // T of [B, T, C] and of sequence-first [T, B, C]
    if (!grids.has(t) || layout.prefix < grids.get(t)!.prefix) grids.set(t, { prefix: layout.prefix, height: layout.height, width: layout.width });
  }
  const softmax: string[] = [];
  const heads: number[] = [];
  let windowed = 0;
  let grid: { tokens: number; prefix: number; height: number; width: number } | undefined;
  for (const node of model.graph.nodes) {
    if (node.opType !== 'Softmax') continue;
    const y = node.output[0]!;
    const dims = shapes.get(y);
    if (!dims || dims.length < 3) continue;
    const rank = dims.length;
    const axis = attrInt(node, 'axis', model.graph.opset >= 13 ? -1 : 1);
    if (axis !== -1 && axis !== rank - 1) continue;
    const t = dims[rank - 1]!;
    if (dims[rank - 2] !== t) continue;
    const g = grids.get(t);
    if (!g || rank > 4 || (rank === 4 && dims[0] !== 1)) {
      windowed++;
      continue;
    }
    if (grid && grid.tokens !== t) continue;
    grid ??= { tokens: t, ...g };
    softmax.push(y);
    heads.push(rank === 4 ? dims[1]! : dims[0]!);
  }
  if (!grid || softmax.length === 0) {
    throw new LumenError(
      'UNSUPPORTED_MODEL',
      `${method}: ${model.source} has no global self-attention over a token sequence (looked for Softmax over the last axis of [B, heads, T, T] ` +
        `with T the token count of a [B, T, C] patch sequence${windowed ? `; found ${windowed} windowed attention Softmax(es), as in Swin or MaxViT, which attend within windows only` : ''}). ` +
        'Attention methods work on ViT/DeiT-style models; gradient, CAM and perturbation methods work on any model',
      2,
    );
  }
  if (grid.prefix < 1) {
    throw new LumenError('UNSUPPORTED_MODEL', `${method}: the ${grid.tokens} tokens of ${model.source} are an ${grid.height}×${grid.width} patch grid with no class token, whose attention row the map is read from`, 2);
  }
  return { softmax, heads, tokens: grid.tokens, prefix: grid.prefix, height: grid.height, width: grid.width };
}

/** One block's attention of batch item `i` as [heads, T, T] (works for [B, heads, T, T] and [B·heads, T, T]). */
export function itemAttention(a: Tensor, i: number, heads: number, tokens: number): Float32Array {
  const per = heads * tokens * tokens;
  if (a.size % per !== 0) throw new LumenError('UNSUPPORTED_MODEL', `attention tensor [${a.dims.join(', ')}] is not [B, ${heads}, ${tokens}, ${tokens}]`);
  return a.data.subarray(i * per, (i + 1) * per);
}

/**
 * The attribution map of every item: the class-token row over the patch tokens ([N, 1, h, w], extras `raw`), upsampled
 * to the input size (bilinear, as cv2.resize) and scaled to [0, 1] as pytorch-grad-cam scales CAMs.
 */
export function tokenMaps(rows: readonly Float64Array[], blocks: AttentionBlocks, size: { height: number; width: number }): { attribution: Tensor; raw: Tensor } {
  const { prefix, height: h, width: w } = blocks;
  const n = rows.length;
  const raw = new Float32Array(n * h * w);
  const out = new Float32Array(n * size.height * size.width);
  rows.forEach((row, i) => {
    const grid = Float32Array.from(row.subarray(prefix, prefix + h * w));
    raw.set(grid, i * h * w);
    const up = out.subarray(i * size.height * size.width, (i + 1) * size.height * size.width);
    resizeMapBilinear(grid, w, h, size.width, size.height, up);
    minMaxInPlace(up);
  });
  return { attribution: new Tensor(out, [n, 1, size.height, size.width]), raw: new Tensor(raw, [n, 1, h, w]) };
}

export const ATTENTION_BATCH_OPTION = batchSizeOption(8, 'images per ONNX Runtime run');
