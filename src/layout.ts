import { opTraits } from './autodiff/registry.js';
// op traits are declared beside the gradient rules; importing them registers them
import './autodiff/rules/index.js';
import { LumenError } from './errors.js';
import { attrInt, attrInts } from './onnx/attributes.js';
import { OnnxGraph, type Dim } from './onnx/graph.js';
import type { NodeProto } from './onnx/proto.js';
import { Tensor } from './tensor.js';

/*
 * Lumen's layout contract, in one place.
 *
 * 1. Images enter and leave Lumen as [N, C, H, W], whatever the model file wants. A channels-last model file
 *    (Keras / tf2onnx: [N, H, W, C]) gets a Transpose in front of its graph when it is loaded (`channelsFirstInput`),
 *    so attributions, masks, baselines, blurs, metrics and pictures are all computed on the same NCHW grid, and
 *    gradients flow through that Transpose like through any other op.
 * 2. A CAM layer has one of three layouts, found from the graph (`layerLayouts`) or given by the user
 *    (`parseLayerLayout`): NCHW [B, C, h, w], NHWC [B, h, w, C] (Swin, ConvNeXt's permuted blocks, tf2onnx) and
 *    token sequences [B, T, C] with `prefix` special tokens (class / distillation / register) before an h×w patch
 *    grid (or [T, B, C], `sequenceFirst`, as CLIP and batch_first=False attention export them). `toNchw` turns such a tensor into the [B, C, h, w] map every CAM method works on — pytorch-grad-cam's
 *    reshape transforms (`vit_reshape_transform`, `swinT_reshape_transform`), done without user code.
 */

/** Layout of a model file's image input. */
export type InputLayout = 'NCHW' | 'NHWC';

/** Layout of a CAM layer's tensor (see the contract above). */
export type LayerLayout =
  | { kind: 'NCHW' }
  | { kind: 'NHWC' }
  | { kind: 'tokens'; prefix: number; height: number; width: number; sequenceFirst?: boolean };

/**
 * What a layout option may say: 'NCHW', 'NHWC', 'tokens' (grid found from the graph), 'tokens:1', 'tokens:1+8x8';
 * a ':TBC' suffix for sequence-first tokens ('tokens:1+7x7:TBC').
 */
export type LayerLayoutSpec = string | LayerLayout;

/**
 * The layout of an image input: from the graph when its first real consumer says so (a Transpose to NCHW as
 * tf2onnx emits → NHWC; a Conv/pool reading it directly → NCHW), else from the channel count (1, 3 or 4 channels
 * on axis 1 → NCHW, on axis 3 → NHWC), else NCHW.
 */
export function detectInputLayout(graph: OnnxGraph, inputName: string, dims: readonly Dim[]): InputLayout {
  const seen = new Set<string>();
  const queue = [inputName];
  // look through ops that keep the layout (normalization arithmetic, casts) for the first op that fixes it
  while (queue.length > 0) {
    const t = queue.shift()!;
    for (const n of graph.consumers(t)) {
      if (n.opType === 'Transpose') {
        const perm = attrInts(n, 'perm');
        if (perm && perm.join() === '0,3,1,2') return 'NHWC';
        if (perm && perm.join() === '0,1,2,3') continue;
        return 'NCHW';
      }
      if (isNchwOp(n.opType)) return 'NCHW';
      if (keepsLayout(n.opType)) for (const o of n.output) if (o && !seen.has(o)) (seen.add(o), queue.push(o));
    }
  }
  const small = (d: Dim | undefined): boolean => d === 1 || d === 3 || d === 4;
  if (small(dims[1])) return 'NCHW';
  if (small(dims[3])) return 'NHWC';
  return 'NCHW';
}

/**
 * Give a channels-last model an NCHW input: a new graph input `<name>_nchw` [N, C, H, W] and, as the first node, a
 * Transpose to [N, H, W, C] that produces the old input name (so every consumer, subgraphs included, is unchanged).
 * Returns the new input's name and dims. ONNX Runtime cancels this Transpose against the one tf2onnx puts in front
 * of the first Conv.
 */
export function channelsFirstInput(g: OnnxGraph, inputName: string, dims: readonly Dim[]): { name: string; dims: Dim[] } {
  const nchwDims = [dims[0]!, dims[3]!, dims[1]!, dims[2]!];
  let name = `${inputName}_nchw`;
  if (g.producer(name) || g.graph.input.some((i) => i.name === name)) name = g.uniqueName(name);
  g.graph.input = g.graph.input.filter((i) => i.name !== inputName);
  g.addInput(name, nchwDims);
  g.addNode('Transpose', [name], [inputName], { perm: { ints: [0, 2, 3, 1] } });
  g.graph.node.unshift(g.graph.node.pop()!);
  g.graph.valueInfo = g.graph.valueInfo.filter((v) => v.name !== inputName);
  return { name, dims: nchwDims };
}

/** Role of one axis of a tensor: batch, channels, height, width, patch tokens (prefix + h·w), or unknown. */
type Role = 'N' | 'C' | 'H' | 'W' | 'T' | '?';

interface Axes {
  roles: Role[];
  /** For a 'T' axis: special tokens before the grid, and the grid. */
  grid?: { prefix: number; height: number; width: number };
}

/** 4-D tensors are NCHW by the ONNX definition (the `layout` trait of the op, declared beside its gradient rule). */
const isNchwOp = (op: string): boolean => opTraits(op)?.layout === 'nchw';
/** The output has the axes of its same-rank input (element-wise, normalization over the last axis, crops). */
const keepsLayout = (op: string): boolean => opTraits(op)?.layout === 'keeps';

/**
 * The layout of every tensor whose layout the graph determines, given tensor shapes at batch 1. Roles start at the
 * (NCHW) input and at ops that are NCHW by definition, and follow Transposes, element-wise ops, channel MatMuls,
 * Reshape/Flatten that merge h and w into tokens, and Concat of special tokens before a patch sequence.
 */
export function layerLayouts(graph: OnnxGraph, inputName: string, shapes: ReadonlyMap<string, readonly number[]>): Map<string, LayerLayout> {
  const axes = new Map<string, Axes>();
  // constants too (a learned class token is an initializer): their sizes count in a Concat of tokens
  const withConstants = new Map(shapes);
  for (const t of graph.graph.initializer) if (!withConstants.has(t.name)) withConstants.set(t.name, t.dims.map(Number));
  for (const n of graph.nodes) {
    const t = n.opType === 'Constant' && n.output[0] ? graph.constantTensor(n.output[0]) : undefined;
    if (t && !withConstants.has(n.output[0]!)) withConstants.set(n.output[0]!, t.dims.map(Number));
  }
  const inShape = shapes.get(inputName);
  if (inShape?.length === 4) axes.set(inputName, { roles: ['N', 'C', 'H', 'W'] });
  for (const node of graph.nodes) {
    const out = node.output[0];
    const dims = out ? shapes.get(out) : undefined;
    if (!out || !dims) continue;
    const a = nodeAxes(graph, node, dims, axes, withConstants);
    if (a) axes.set(out, a);
    if (a && (node.opType === 'Split')) for (const o of node.output.slice(1)) if (shapes.get(o)?.length === dims.length) axes.set(o, a);
  }
  const result = new Map<string, LayerLayout>();
  for (const [name, a] of axes) {
    const dims = shapes.get(name);
    const l = dims && name !== inputName ? layoutOfAxes(a, dims) : undefined;
    if (l) result.set(name, l);
  }
  return result;
}

function layoutOfAxes(a: Axes, dims: readonly number[]): LayerLayout | undefined {
  const r = a.roles.join('');
  if (r === 'NCHW') return { kind: 'NCHW' };
  if (r === 'NHWC') return { kind: 'NHWC' };
  if (r === 'NTC' && a.grid && dims[1] === a.grid.prefix + a.grid.height * a.grid.width) return { kind: 'tokens', ...a.grid };
  if (r === 'TNC' && a.grid && dims[0] === a.grid.prefix + a.grid.height * a.grid.width) return { kind: 'tokens', ...a.grid, sequenceFirst: true };
  return undefined;
}

function nodeAxes(graph: OnnxGraph, node: NodeProto, dims: readonly number[], axes: ReadonlyMap<string, Axes>, shapes: ReadonlyMap<string, readonly number[]>): Axes | undefined {
  const op = node.opType;
  if (isNchwOp(op)) return dims.length === 4 ? { roles: ['N', 'C', 'H', 'W'] } : undefined;
  const x = node.input[0] ? axes.get(node.input[0]) : undefined;
  const xDims = node.input[0] ? shapes.get(node.input[0]) : undefined;
  if (op === 'Transpose') {
    const perm = attrInts(node, 'perm') ?? (xDims ? xDims.map((_, i) => xDims.length - 1 - i) : undefined);
    return x && perm ? { roles: perm.map((p) => x.roles[p] ?? '?'), ...(x.grid ? { grid: x.grid } : {}) } : undefined;
  }
  if (op === 'Concat') return concatAxes(node, dims, axes, shapes);
  if (op === 'Split') {
    return x && xDims && xDims.length === dims.length && x.roles[normAxis(attrInt(node, 'axis', 0), dims.length)] !== 'T' ? x : undefined;
  }
  if (op === 'MatMul') {
    // activations @ weight [C, C']: a linear layer over the channel axis keeps every other axis
    const w = node.input[1] ? shapes.get(node.input[1]) : undefined;
    return x && w?.length === 2 && x.roles[x.roles.length - 1] === 'C' && xDims?.length === dims.length ? x : undefined;
  }
  if (op === 'Reshape' || op === 'Flatten') return x && xDims ? reshapeAxes(x, xDims, dims) : undefined;
  if (keepsLayout(op)) {
    // the first input of the output's rank with known axes (a bias or a scale broadcast against it has none)
    for (const name of node.input) {
      const a = name ? axes.get(name) : undefined;
      const d = name ? shapes.get(name) : undefined;
      if (!a || !d || d.length !== dims.length) continue;
      const t = a.roles.indexOf('T');
      if (t >= 0 && d[t] !== dims[t]) {
        // tokens cropped (e.g. the class token sliced off): still a grid when what is left is the grid or more
        const g = a.grid!;
        const prefix = dims[t]! - g.height * g.width;
        return prefix >= 0 && prefix <= d[t]! - g.height * g.width ? { roles: a.roles, grid: { ...g, prefix } } : undefined;
      }
      return a;
    }
  }
  return undefined;
}

function concatAxes(node: NodeProto, dims: readonly number[], axes: ReadonlyMap<string, Axes>, shapes: ReadonlyMap<string, readonly number[]>): Axes | undefined {
  const axis = normAxis(attrInt(node, 'axis', 0), dims.length);
  const known = node.input.findIndex((n) => n && axes.get(n) && shapes.get(n)?.length === dims.length);
  if (known < 0) return undefined;
  const a = axes.get(node.input[known]!)!;
  if (a.roles[axis] !== 'T') return a;
  // special tokens (class, distillation, register) concatenated before the patch tokens; none after them
  if (node.input.slice(known + 1).some((n) => (shapes.get(n)?.[axis] ?? 0) > 0)) return undefined;
  const before = node.input.slice(0, known).reduce((s, n) => s + (shapes.get(n)?.[axis] ?? 0), 0);
  return { roles: a.roles, grid: { ...a.grid!, prefix: a.grid!.prefix + before } };
}

/** Reshape/Flatten: merging the h and w axes gives tokens; splitting a pure grid of tokens gives h and w back. */
function reshapeAxes(x: Axes, from: readonly number[], to: readonly number[]): Axes | undefined {
  if (from.join() === to.join()) return x;
  const h = x.roles.indexOf('H');
  const w = x.roles.indexOf('W');
  if (h >= 0 && w === h + 1 && to.length === from.length - 1) {
    const merged = [...from.slice(0, h), from[h]! * from[w]!, ...from.slice(w + 1)];
    if (merged.join() === to.join()) return { roles: [...x.roles.slice(0, h), 'T', ...x.roles.slice(w + 1)], grid: { prefix: 0, height: from[h]!, width: from[w]! } };
  }
  const t = x.roles.indexOf('T');
  if (t >= 0 && x.grid && x.grid.prefix === 0 && to.length === from.length + 1) {
    const split = [...from.slice(0, t), x.grid.height, x.grid.width, ...from.slice(t + 1)];
    if (split.join() === to.join()) return { roles: [...x.roles.slice(0, t), 'H', 'W', ...x.roles.slice(t + 1)] };
  }
  return undefined;
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** [B, C, h, w] dims of a layer tensor of the given layout. */
export function nchwDims(dims: readonly number[], layout: LayerLayout): [number, number, number, number] {
  if (layout.kind === 'tokens') return [dims[layout.sequenceFirst ? 1 : 0]!, dims[2]!, layout.height, layout.width];
  if (layout.kind === 'NHWC') return [dims[0]!, dims[3]!, dims[1]!, dims[2]!];
  return [dims[0]!, dims[1]!, dims[2]!, dims[3]!];
}

/** `NCHW 8×8`, `NHWC 8×8`, `tokens 1+8×8` (what `lumen layers` shows). */
export function describeLayout(layout: LayerLayout, dims: readonly number[]): string {
  const [, , h, w] = nchwDims(dims, layout);
  if (layout.kind !== 'tokens') return `${layout.kind} ${h}×${w}`;
  return `tokens ${layout.prefix > 0 ? `${layout.prefix}+` : ''}${h}×${w}${layout.sequenceFirst ? ' [T,B,C]' : ''}`;
}

/**
 * A layer tensor as the [B, C, h, w] map CAM methods use: NCHW as it is, NHWC permuted, tokens without their special
 * tokens and with the patch grid reshaped (pytorch-grad-cam's reshape transforms).
 */
export function toNchw(t: Tensor, layout: LayerLayout): Tensor {
  if (layout.kind === 'NCHW') return t;
  const [n, c, h, w] = nchwDims(t.dims, layout);
  const hw = h * w;
  const at = positionOf(layout, t.dims, n, c);
  const out = new Float32Array(n * c * hw);
  const src = t.data;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < hw; p++) {
      const from = at(i, p);
      for (let ch = 0; ch < c; ch++) out[(i * c + ch) * hw + p] = src[from + ch]!;
    }
  }
  return new Tensor(out, [n, c, h, w]);
}

/**
 * The inverse of `toNchw`: a [B, C, h, w] map written back into a tensor of the layer's own layout. Special tokens
 * (which the map does not have) are taken from `like`, the original layer tensor.
 */
export function fromNchw(map: Tensor, layout: LayerLayout, like: Tensor): Tensor {
  if (layout.kind === 'NCHW') return map;
  const [n, c, h, w] = [map.dims[0]!, map.dims[1]!, map.dims[2]!, map.dims[3]!];
  const hw = h * w;
  if (layout.kind === 'NHWC') {
    const out = new Float32Array(n * hw * c);
    for (let i = 0; i < n; i++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) out[(i * hw + p) * c + ch] = map.data[(i * c + ch) * hw + p]!;
    return new Tensor(out, [n, h, w, c]);
  }
  const tokens = layout.prefix + hw;
  const dims = layout.sequenceFirst ? [tokens, n, c] : [n, tokens, c];
  const out = new Float32Array(n * tokens * c);
  const at = positionOf(layout, dims, n, c);
  const likeAt = positionOf(layout, like.dims, like.dims[layout.sequenceFirst ? 1 : 0]!, c);
  for (let i = 0; i < n; i++) {
    // special tokens from `like` (its item i, or its only item)
    const from = i % like.dims[layout.sequenceFirst ? 1 : 0]!;
    for (let t = 0; t < layout.prefix; t++) out.set(like.data.subarray(likeAt(from, t - layout.prefix), likeAt(from, t - layout.prefix) + c), at(i, t - layout.prefix));
    for (let p = 0; p < hw; p++) {
      const to = at(i, p);
      for (let ch = 0; ch < c; ch++) out[to + ch] = map.data[(i * c + ch) * hw + p]!;
    }
  }
  return new Tensor(out, dims);
}

/**
 * Offset of grid position p (patch p, or special token p + prefix when p < 0) of item i: where its C channel values
 * start in a tensor of this layout ([B, T, C], [T, B, C] or [B, h, w, C]).
 */
function positionOf(layout: LayerLayout, dims: readonly number[], n: number, c: number): (i: number, p: number) => number {
  if (layout.kind !== 'tokens') return (i, p) => (i * (dims[1]! * dims[2]!) + p) * c;
  const tokens = layout.prefix + layout.height * layout.width;
  return layout.sequenceFirst ? (i, p) => ((layout.prefix + p) * n + i) * c : (i, p) => (i * tokens + layout.prefix + p) * c;
}

/**
 * Parse and check a `layerLayout` option against the layer's shape (batch 1). 'tokens' without a grid takes the
 * detected grid when there is one, else a square grid after `prefix` tokens (default: the smallest prefix that leaves
 * a square).
 */
export function parseLayerLayout(spec: unknown, layer: string, dims: readonly number[], detected?: LayerLayout): LayerLayout {
  const fail = (why: string): never => {
    throw new LumenError('BAD_OPTION', `layerLayout=${typeof spec === 'string' ? spec : JSON.stringify(spec)} for layer '${layer}' [${dims.join(', ')}]: ${why}. Expected NCHW, NHWC (4-D layers), tokens, tokens:K or tokens:K+HxW (3-D [B, T, C] layers: K special tokens before an H×W patch grid; add :TBC for [T, B, C])`, 2);
  };
  let layout: LayerLayout;
  if (typeof spec === 'object' && spec !== null && 'kind' in spec) {
    layout = spec as LayerLayout;
  } else if (typeof spec === 'string') {
    const s = spec.trim();
    const m = /^tokens(?::(\d+)(?:\+(\d+)[x×](\d+))?)?(:tbc|:btc)?$/i.exec(s);
    if (/^nchw$/i.test(s)) layout = { kind: 'NCHW' };
    else if (/^nhwc$/i.test(s)) layout = { kind: 'NHWC' };
    else if (m) {
      if (dims.length !== 3) return fail('a token layout needs a 3-D [B, T, C] tensor');
      const sequenceFirst = m[4]?.toLowerCase() === ':tbc';
      const order = sequenceFirst ? { sequenceFirst: true } : {};
      const t = dims[sequenceFirst ? 0 : 1]!;
      const given = m[1] !== undefined ? Number(m[1]) : undefined;
      if (m[2] !== undefined) {
        layout = { kind: 'tokens', prefix: given!, height: Number(m[2]), width: Number(m[3]), ...order };
      } else if (detected?.kind === 'tokens' && !!detected.sequenceFirst === sequenceFirst && (given === undefined || given === detected.prefix)) {
        layout = detected;
      } else {
        const prefixes = given !== undefined ? [given] : Array.from({ length: Math.min(t, 17) }, (_, k) => k);
        const k = prefixes.find((p) => p <= t && Number.isInteger(Math.sqrt(t - p)) && t - p > 0);
        if (k === undefined) return fail(`${t} tokens${given !== undefined ? ` minus ${given}` : ''} are not a square grid; give the grid as tokens:K+HxW`);
        const side = Math.sqrt(t - k);
        layout = { kind: 'tokens', prefix: k, height: side, width: side, ...order };
      }
    } else {
      return fail('unknown layout');
    }
  } else {
    return fail('unknown layout');
  }
  if (layout.kind === 'tokens') {
    const { prefix, height, width } = layout;
    if (dims.length !== 3) return fail('a token layout needs a 3-D [B, T, C] tensor');
    if (![prefix, height, width].every((v) => Number.isInteger(v) && v >= 0) || height < 1 || width < 1) return fail('prefix, height and width must be whole numbers');
    const t = dims[layout.sequenceFirst ? 0 : 1]!;
    if (prefix + height * width !== t) return fail(`${prefix} + ${height}×${width} = ${prefix + height * width} tokens, the layer has ${t}`);
  } else if (dims.length !== 4) {
    return fail(`${layout.kind} needs a 4-D tensor`);
  }
  return layout;
}

/**
 * The layer pytorch-grad-cam advises for a vision transformer: the first LayerNorm of the last block (ViT `ln_1` /
 * `norm1`, Swin's last stage's last block's `norm1`) — found as the last LayerNormalization on a patch grid whose
 * output reaches an attention Softmax before any other LayerNormalization. Undefined for networks without attention.
 */
export function attentionNormLayer(graph: OnnxGraph, layouts: ReadonlyMap<string, LayerLayout>, exclude: ReadonlySet<string>): string | undefined {
  const consumers = new Map<string, NodeProto[]>();
  for (const n of graph.nodes) for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  let best: string | undefined;
  for (const node of graph.nodes) {
    const out = node.output[0];
    if (node.opType !== 'LayerNormalization' || !out || !layouts.has(out)) continue;
    if (reachesAttention(consumers, out, exclude)) best = out;
  }
  return best;
}

function reachesAttention(consumers: ReadonlyMap<string, readonly NodeProto[]>, start: string, exclude: ReadonlySet<string>): boolean {
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const n of consumers.get(queue.shift()!) ?? []) {
      if (n.opType === 'Softmax' && !n.output.some((o) => exclude.has(o))) return true;
      if (n.opType === 'LayerNormalization') continue;
      for (const o of n.output) if (o && !seen.has(o)) (seen.add(o), queue.push(o));
    }
  }
  return false;
}

/** The axes of a layer tensor that span its patch grid (undefined for tokens with special tokens in front). */
export function gridAxes(layout: LayerLayout): number[] | undefined {
  if (layout.kind === 'NCHW') return [2, 3];
  if (layout.kind === 'NHWC') return [1, 2];
  return layout.prefix === 0 ? [layout.sequenceFirst ? 0 : 1] : undefined;
}

/** Item i of a batch of layer tensors, as a batch of one in the same layout ([1, …], or [T, 1, C] sequence-first). */
export function layerItem(t: Tensor, layout: LayerLayout, i: number): Tensor {
  if (layout.kind !== 'tokens' || !layout.sequenceFirst) {
    const per = t.size / t.dims[0]!;
    return new Tensor(t.data.subarray(i * per, (i + 1) * per), [1, ...t.dims.slice(1)]);
  }
  const [tokens, n, c] = [t.dims[0]!, t.dims[1]!, t.dims[2]!];
  const out = new Float32Array(tokens * c);
  for (let k = 0; k < tokens; k++) out.set(t.data.subarray((k * n + i) * c, (k * n + i + 1) * c), k * c);
  return new Tensor(out, [tokens, 1, c]);
}
