import { LumenError } from '../../errors.js';
import { toNchw, type LayerLayout, type LayerLayoutSpec } from '../../layout.js';
import type { LumenModel } from '../../model.js';
import type { Tensor } from '../../tensor.js';

/** A layer's activations for a batch, as the [N, C, h, w] map (src/layout.ts) and as the graph has them. */
export interface LayerActivations {
  layer: string;
  /** [N, C, h, w]; a [N, C] vector layer is [N, C, 1, 1]. */
  maps: Tensor;
  /** undefined for a [N, C] vector layer. */
  layout?: LayerLayout;
  native: Tensor;
}

/** Run the model and return `layer` (any layer: feature map, token sequence or a [N, C] vector). */
export async function layerActivations(model: LumenModel, input: Tensor, layer: string, layerLayout?: LayerLayoutSpec): Promise<LayerActivations> {
  const { tensors } = await model.forward(input, [layer]);
  return asLayerActivations(model, input, layer, tensors[layer]!, layerLayout);
}

/** The [N, C, h, w] view of a fetched layer tensor. */
export async function asLayerActivations(model: LumenModel, input: Tensor, layer: string, native: Tensor, layerLayout?: LayerLayoutSpec): Promise<LayerActivations> {
  if (native.rank === 2) return { layer, maps: native.reshape([native.dims[0]!, native.dims[1]!, 1, 1]), native };
  const layout = await model.layerLayout(layer, input.item(0), layerLayout);
  return { layer, maps: toNchw(native, layout), layout, native };
}

/** The global-average-pooled embedding of each item: [N, C] row-major. */
export function pooled(maps: Tensor): Float32Array {
  const [n, c, h, w] = [maps.dims[0]!, maps.dims[1]!, maps.dims[2]!, maps.dims[3]!];
  const hw = h * w;
  const out = new Float32Array(n * c);
  for (let k = 0; k < n * c; k++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += maps.data[k * hw + p]!;
    out[k] = s / hw;
  }
  return out;
}

/** All inputs of a batch share a shape, or a clear error names the first two that differ. */
export function requireSameSize(items: readonly { name: string; dims: readonly number[] }[], what: string): void {
  const first = items[0];
  if (!first) return;
  for (const it of items) {
    if (it.dims.join('x') !== first.dims.join('x')) {
      throw new LumenError('INPUT_SHAPE', `${what}: images of different sizes (${first.name} is ${sizeText(first.dims)}, ${it.name} is ${sizeText(it.dims)}); this model does not fix its input size, so resize them to one size first`, 2);
    }
  }
}

function sizeText(dims: readonly number[]): string {
  return dims.length === 4 ? `${dims[3]}×${dims[2]}` : `[${dims.join(', ')}]`;
}

/**
 * Whether some path from the model input to the logits goes around `layer` (a skip connection: in a pre-norm
 * transformer the residual stream bypasses every block's LayerNorm outputs), and if so the nearest earlier layer
 * (in `model.layers()` order, up to 200 back) that every such path goes through.
 */
export async function layerBypass(model: LumenModel, layer: string): Promise<{ bypassed: boolean; cutLayer?: string }> {
  if (!bypasses(model, layer)) return { bypassed: false };
  const layers = await model.layers();
  const at = layers.findIndex((l) => l.name === layer);
  for (let i = at - 1; i >= Math.max(0, at - 200); i--) if (!bypasses(model, layers[i]!.name)) return { bypassed: true, cutLayer: layers[i]!.name };
  return { bypassed: true };
}

function bypasses(model: LumenModel, layer: string): boolean {
  const seen = new Set<string>([model.inputName]);
  const queue = [model.inputName];
  while (queue.length > 0) {
    const t = queue.pop()!;
    if (t === model.logitsName) return true;
    if (t === layer) continue;
    for (const node of model.graph.consumers(t)) {
      for (const o of node.output) {
        if (o && !seen.has(o)) {
          seen.add(o);
          queue.push(o);
        }
      }
    }
  }
  return false;
}

/**
 * Rows of a per-image computation over `images` ([n, …]) in batches of `batch`, stacked: `rowsOf` gets each chunk (a
 * view [≤ batch, …]) and returns its rows; the result is { data: [n, d] row-major, n, d }. (TCAV's activations and
 * gradients, the concept registry's pooled embeddings.)
 */
export async function batchedRows(images: Tensor, batch: number, rowsOf: (chunk: Tensor) => Promise<Float32Array>): Promise<{ data: Float32Array; n: number; d: number }> {
  const n = images.dims[0]!;
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += batch) {
    const end = Math.min(n, s + batch);
    parts.push(await rowsOf(images.rows(s, end)));
  }
  const data = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { data, n, d: data.length / n };
}
