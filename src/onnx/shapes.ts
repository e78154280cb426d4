import { LumenError } from '../errors.js';
import { attrInt, attrInts, attrString, attrTensor } from './attributes.js';
import { valueInfoDims, valueInfoElemType, type Dim, type OnnxGraph } from './graph.js';
import { TensorProto_DataType, type NodeProto } from './proto.js';
import { tensorDims, tensorNumbers } from './tensor-proto.js';
import { axesInputSince, opTraits } from '../autodiff/registry.js';
// the op traits (declared beside each op's gradient rule) must be registered before any inference runs
import '../autodiff/rules/index.js';

/**
 * Static shape inference for the ops Lumen differentiates. Symbolic dimensions (the batch) stay strings, so one
 * explanation graph serves any batch size. Small tensors (shape arithmetic: Shape → Gather → Concat → Reshape, as
 * PyTorch exports `x.view(x.size(0), -1)`, and the Mod/Where/ConstantOfShape/Slice chains of Swin's padding or
 * torch.expand) are folded by value (`foldNode`), symbolic dims included, so Reshape/Pad/Expand targets resolve.
 */
export function inferShapes(
  graph: OnnxGraph,
  inputDims?: readonly Dim[] | Readonly<Record<string, readonly Dim[]>>,
  options: { strict?: boolean; values?: Map<string, Dim[]> } = {},
): Map<string, Dim[]> {
  const shapes = new Map<string, Dim[]>();
  // `values` (optional, filled here): the folded values of shape-arithmetic tensors, for gradient rules
  const values = options.values ?? new Map<string, Dim[]>();
  const feeds = graph.feedInputs;
  for (const inp of feeds) {
    let dims: readonly Dim[] | undefined;
    if (Array.isArray(inputDims)) dims = inp === feeds[0] ? (inputDims as readonly Dim[]) : undefined;
    else if (inputDims) dims = (inputDims as Record<string, readonly Dim[]>)[inp.name];
    shapes.set(inp.name, [...(dims ?? valueInfoDims(inp) ?? [])]);
  }
  for (const init of graph.graph.initializer) {
    shapes.set(init.name, tensorDims(init));
    if (init.dims.reduce((a, d) => a * Number(d), 1) <= MAX_FOLD) {
      try {
        values.set(init.name, tensorNumbers(init));
      } catch {
        // not a numeric tensor; no value tracking
      }
    }
  }
  const types = inferElemTypes(graph);
  for (const node of graph.nodes) {
    const ctx = new ShapeContext(graph, node, shapes, values);
    try {
      inferNode(ctx);
      foldNode(ctx, types);
    } catch (e) {
      // lenient by default: outputs of a node we cannot infer stay unknown, and only a rule that needs them fails
      if (options.strict) throw e;
    }
  }
  return shapes;
}

/** What a shape rule sees (OpTraits.shape in src/autodiff/registry.ts): the node, input shapes and folded values. */
export class ShapeContext {
  constructor(
    readonly graph: OnnxGraph,
    readonly node: NodeProto,
    readonly shapes: Map<string, Dim[]>,
    readonly values: Map<string, Dim[]>,
  ) {}

  has(i: number): boolean {
    const n = this.node.input[i];
    return n !== undefined && n !== '';
  }

  in(i: number): Dim[] {
    const name = this.node.input[i];
    const s = name ? this.shapes.get(name) : undefined;
    if (!s) throw new LumenError('UNSUPPORTED_MODEL', `shape inference: unknown shape of input ${i} ('${name}') of ${this.node.opType} node '${this.node.name}'`);
    return s;
  }

  /** Values of a constant or shape-arithmetic input (undefined when not known statically). */
  value(i: number): Dim[] | undefined {
    const name = this.node.input[i];
    if (!name) return undefined;
    return this.values.get(name) ?? this.graph.constantNumbers(name);
  }

  numbers(i: number): number[] | undefined {
    const v = this.value(i);
    return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  }

  out(dims: Dim[], i = 0): void {
    const name = this.node.output[i];
    if (name) this.shapes.set(name, dims);
  }

  opsetAtLeast13(): boolean {
    return this.graph.opset >= 13;
  }

  outValue(v: Dim[], i = 0): void {
    const name = this.node.output[i];
    if (name) this.values.set(name, v);
  }
}

function inferNode(c: ShapeContext): void {
  const { node } = c;
  const op = node.opType;
  // every op's shape rule is its `shape` trait, declared beside its gradient rule (src/autodiff/rules/)
  const generic = opTraits(op)?.shape;
  if (generic === 'elementwise') {
    c.out([...c.in(0)]);
    return;
  }
  if (generic === 'identity') {
    // every output (Dropout's mask too) is shaped like input 0, and output 0 holds its values, whatever their size
    const x = c.in(0);
    node.output.forEach((_, i) => c.out([...x], i));
    const v = c.value(0);
    if (v) c.outValue(v);
    return;
  }
  if (generic === 'broadcast') {
    const ins = node.input.map((_, i) => i).filter((i) => c.has(i));
    let out: Dim[] = [];
    for (const i of ins) out = broadcastDims(out, c.in(i), node);
    c.out(out);
    return;
  }
  if (typeof generic === 'function') {
    generic(c);
    return;
  }
  throw new LumenError('UNSUPPORTED_OP', `shape inference: op ${op} (node '${node.name}') is not supported`);
}

/**
 * Output shape of a windowed op (Conv, MaxPool, AveragePool, LpPool): [N, channels, …] by `poolGeometry` for every
 * output (MaxPool's indices too). The pools' shape rule is `poolShape`; Conv's (channels from its weight) is in its file.
 */
export function windowedShape(c: ShapeContext, kernel: readonly number[], channels: Dim): void {
  const x = c.in(0);
  const geometry = poolGeometry(c.node, x.slice(2), kernel);
  c.node.output.forEach((_, i) => c.out([x[0]!, channels, ...geometry.output], i));
}

/** Output shape of the windowed pools (MaxPool, AveragePool, LpPool): the input's channels, `kernel_shape`'s windows. */
export function poolShape(c: ShapeContext): void {
  windowedShape(c, attrInts(c.node, 'kernel_shape', []), c.in(0)[1]!);
}

/** Output shape of the global pools: [N, C, 1, …]. */
export function globalPoolShape(c: ShapeContext): void {
  const x = c.in(0);
  c.out([x[0]!, x[1]!, ...x.slice(2).map(() => 1)]);
}

/** Output shape of the Reduce* ops (axes from the attribute or input, keepdims). */
export function reduceShape(c: ShapeContext): void {
  const x = c.in(0);
  c.out(reducedDims(c.node, x, reduceAxes(c.node, x.length, (i) => c.numbers(i), c.graph.opset)));
}

/** `x` with its reduced `axes` kept as 1 (the node's keepdims, default 1) or dropped. */
export function reducedDims(node: NodeProto, x: readonly Dim[], axes: readonly number[]): Dim[] {
  const keep = attrInt(node, 'keepdims', 1) === 1;
  return keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
}

/** Output shaped like input 0 (scatters). */
export function firstInputShape(c: ShapeContext): void {
  c.out([...c.in(0)]);
}

export function broadcastDims(a: readonly Dim[], b: readonly Dim[], node?: NodeProto): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1 || x === y) out.push(x);
    else if (typeof x === 'string') out.push(y);
    else if (typeof y === 'string') out.push(x);
    else throw new LumenError('UNSUPPORTED_MODEL', `shape inference: cannot broadcast [${a.join(',')}] with [${b.join(',')}]${node ? ` at ${node.opType} '${node.name}'` : ''}`);
  }
  return out;
}

/** Product of dims; symbolic factors are kept as a 'sym*k' string (e.g. the batch times a number). */
export function product(dims: readonly Dim[]): Dim {
  let k = 1;
  const syms: string[] = [];
  for (const d of dims) {
    if (typeof d === 'number') k *= d;
    else syms.push(...d.split('*').filter((s) => s !== ''));
  }
  return combine(syms, k);
}

function combine(syms: string[], k: number): Dim {
  const numeric = syms.filter((s) => /^\d+$/.test(s));
  for (const s of numeric) k *= Number(s);
  const rest = syms.filter((s) => !/^\d+$/.test(s)).sort();
  if (rest.length === 0) return k;
  return k === 1 ? rest.join('*') : `${rest.join('*')}*${k}`;
}

export function divideDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a / b;
  const as = typeof a === 'number' ? [String(a)] : a.split('*');
  const bs = typeof b === 'number' ? [String(b)] : b.split('*');
  const ka = as.filter((s) => /^\d+$/.test(s)).reduce((x, s) => x * Number(s), 1);
  const kb = bs.filter((s) => /^\d+$/.test(s)).reduce((x, s) => x * Number(s), 1);
  const symA = as.filter((s) => !/^\d+$/.test(s));
  for (const s of bs.filter((s) => !/^\d+$/.test(s))) {
    const j = symA.indexOf(s);
    if (j < 0) return '?';
    symA.splice(j, 1);
  }
  if (ka % kb !== 0) return '?';
  return combine(symA, ka / kb);
}

export function sumDims(dims: readonly Dim[]): Dim {
  return dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a + b, 0) : '?';
}

export function addDims(d: Dim, k: number): Dim {
  return typeof d === 'number' ? d + k : k === 0 ? d : '?';
}

export interface PoolGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads [begin..., end...] after resolving auto_pad. */
  pads: number[];
  ceilMode: boolean;
  output: Dim[];
}

/** Kernel geometry of Conv / pooling nodes, auto_pad resolved against the input's spatial size. */
export function poolGeometry(node: NodeProto, spatialIn: readonly Dim[], kernel: readonly number[]): PoolGeometry {
  const n = spatialIn.length;
  const strides = attrInts(node, 'strides', new Array<number>(n).fill(1));
  const dilations = attrInts(node, 'dilations', new Array<number>(n).fill(1));
  const ceilMode = attrInt(node, 'ceil_mode', 0) === 1;
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  let pads = attrInts(node, 'pads', new Array<number>(2 * n).fill(0));
  const output: Dim[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * n).fill(0);
    for (let i = 0; i < n; i++) {
      const d = spatialIn[i]!;
      if (typeof d !== 'number') {
        output.push('?');
        continue;
      }
      const out = Math.ceil(d / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - d);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + n] = total - pads[i]!;
      output.push(out);
    }
    return { kernel: [...kernel], strides, dilations, pads, ceilMode, output };
  }
  if (autoPad === 'VALID') pads = new Array<number>(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const d = spatialIn[i]!;
    if (typeof d !== 'number') {
      output.push('?');
      continue;
    }
    const span = (kernel[i]! - 1) * dilations[i]! + 1;
    const room = d + pads[i]! + pads[i + n]! - span;
    let out = (ceilMode ? Math.ceil(room / strides[i]!) : Math.floor(room / strides[i]!)) + 1;
    // with ceil_mode the last window must start inside the input or the begin padding
    if (ceilMode && (out - 1) * strides[i]! >= d + pads[i]!) out--;
    output.push(out);
  }
  return { kernel: [...kernel], strides, dilations, pads, ceilMode, output };
}

export interface SliceAxis {
  axis: number;
  start: number;
  step: number;
  length: number;
}

/** Resolved Slice parameters (clamped as ONNX does) per sliced axis. */
export function sliceSpec(node: NodeProto, x: readonly Dim[], numbers: (i: number) => number[] | undefined, opset: number): SliceAxis[] {
  const rank = x.length;
  const has = (i: number): boolean => node.input[i] !== undefined && node.input[i] !== '';
  const starts = opset >= 10 ? numbers(1) : attrInts(node, 'starts');
  const ends = opset >= 10 ? numbers(2) : attrInts(node, 'ends');
  if (!starts || !ends) throw new LumenError('UNSUPPORTED_OP', `Slice '${node.name}': starts/ends must be constants`);
  const axes = (opset >= 10 ? (has(3) ? numbers(3) : undefined) : attrInts(node, 'axes')) ?? starts.map((_, i) => i);
  const steps = (opset >= 10 && has(4) ? numbers(4) : undefined) ?? starts.map(() => 1);
  return axes.map((a, i) => {
    const axis = a < 0 ? a + rank : a;
    const dim = x[axis]!;
    const step = steps[i]!;
    if (typeof dim !== 'number') {
      // symbolic axis: only the full slice [0, INT_MAX) is understood
      if (starts[i] === 0 && step === 1 && ends[i]! >= 2 ** 31 - 1) return { axis, start: 0, step: 1, length: dim as unknown as number };
      throw new LumenError('UNSUPPORTED_OP', `Slice '${node.name}' along the symbolic axis ${axis}`);
    }
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    const length = Math.max(0, Math.ceil((e - s) / step));
    return { axis, start: s, step, length };
  });
}

/** Pads [begin..., end...] of a Pad node for all axes (constant pads input from opset 11, axes input from 18). */
export function padsOf(node: NodeProto, rank: number, numbers: (i: number) => number[] | undefined, opset: number): number[] {
  const raw = opset >= 11 ? numbers(1) : attrInts(node, 'pads');
  if (!raw) throw new LumenError('UNSUPPORTED_OP', `Pad '${node.name}': pads must be constants`);
  const axesName = node.input[3];
  if (opset >= 18 && axesName) {
    const axes = numbers(3);
    if (!axes) throw new LumenError('UNSUPPORTED_OP', `Pad '${node.name}': axes must be constants`);
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      const ax = a < 0 ? a + rank : a;
      full[ax] = raw[i]!;
      full[ax + rank] = raw[i + axes.length]!;
    });
    return full;
  }
  return raw;
}

/** Reduced axes of a Reduce* node: the attribute before, the input from its op's `axesInputSince` opset. */
export function reduceAxes(node: NodeProto, rank: number, numbers: (i: number) => number[] | undefined, opset: number): number[] {
  const op = node.opType;
  const fromInput = opset >= axesInputSince(op, node.name);
  let axes: number[] | undefined;
  if (fromInput) {
    if (node.input[1]) {
      axes = numbers(1);
      if (!axes) throw new LumenError('UNSUPPORTED_OP', `${op} '${node.name}': axes must be constants`);
    }
  } else {
    axes = attrInts(node, 'axes');
  }
  if (!axes || axes.length === 0) {
    if (fromInput && attrInt(node, 'noop_with_empty_axes', 0) === 1) return [];
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

const T = TensorProto_DataType;

/**
 * Element type (TensorProto_DataType) of every tensor, from the ONNX type rules; 0 where unknown (e.g. outputs of
 * ops in custom domains whose first input does not decide the type). Shape arithmetic is integer or bool: only
 * FLOAT tensors may be exposed as float outputs or offered as layers.
 */
export function inferElemTypes(graph: OnnxGraph): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...graph.graph.input, ...graph.graph.valueInfo, ...graph.graph.output]) {
    const t = valueInfoElemType(v);
    if (t) types.set(v.name, t);
  }
  for (const init of graph.graph.initializer) types.set(init.name, init.dataType);
  const typeOf = (name: string | undefined): number => (name ? types.get(name) ?? 0 : 0);
  for (const node of graph.nodes) {
    const first = typeOf(node.input.find((i) => i !== ''));
    const outs = nodeOutputTypes(node, first, typeOf);
    node.output.forEach((o, k) => {
      // a type declared in the file's value_info wins (it is what ORT checks against)
      if (o && !types.has(o)) types.set(o, outs[k] ?? outs[0] ?? 0);
    });
  }
  return types;
}

/** The op's `outputTypes` / `inferTypes` trait; otherwise (and in custom domains) every output has input 0's type. */
function nodeOutputTypes(node: NodeProto, first: number, typeOf: (name: string | undefined) => number): number[] {
  if (node.domain !== '' && node.domain !== 'ai.onnx' && node.domain !== 'com.microsoft') return [first];
  const traits = opTraits(node.opType);
  const ofTag = (t: 'input' | 'bool' | 'int64'): number => (t === 'input' ? first : t === 'bool' ? T.BOOL : T.INT64);
  if (traits?.outputTypes) return traits.outputTypes.map(ofTag);
  if (traits?.inferTypes) return traits.inferTypes({ node, first, typeOf });
  return [first];
}

/** Largest tensor whose values are tracked (shape arithmetic is a handful of numbers). */
export const MAX_FOLD = 64;

const FLOAT_ELEM_TYPES = new Set<number>([T.FLOAT, T.DOUBLE, T.FLOAT16, T.BFLOAT16]);

/** What an op's `fold` rule sees: the node, its output's dims and type, and the inputs whose dims and values are known. */
export interface FoldContext {
  readonly c: ShapeContext;
  readonly node: NodeProto;
  readonly outDims: number[];
  readonly outType: number;
  /** The output's element type is an integer type (unary results are truncated, Div and Mod are integer division). */
  readonly integer: boolean;
  /** Input i's dims and values, undefined unless both are known. */
  input(i: number): { dims: number[]; data: Dim[] } | undefined;
}

/** `integer`: an integer (or bool) output (integer Div and Mod); `fmod`: Mod's attribute. */
export interface FoldHow {
  integer: boolean;
  fmod: boolean;
}

/** Two elements of a binary op combined. */
export type BinaryFold = (a: Dim, b: Dim, how: FoldHow) => Dim | undefined;

/**
 * How an op's output values follow from its inputs' values (the `fold` trait, src/autodiff/registry.ts), for small
 * tensors (shape arithmetic):
 * - `{ each }`: the function of every value of input 0 (numbers only; truncated for an integer output);
 * - `{ pairwise }`: the NumPy broadcast of every input, combined left to right element by element (Max and Min take
 *   any number of inputs);
 * - `{ reduce: [init, combine] }`: over the reduced axes (numbers only);
 * - the op's own function (Transpose, Slice, Gather, …).
 * Ops whose output holds input 0's values in the same order declare `keepsValues` instead.
 */
export type FoldRule =
  | { readonly each: (x: number) => number }
  | { readonly pairwise: BinaryFold }
  | { readonly reduce: readonly [init: number, combine: (a: number, v: number) => number] }
  | ((f: FoldContext) => Dim[] | undefined);

const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function numericDims(dims: readonly Dim[] | undefined): number[] | undefined {
  return dims && dims.every((d) => typeof d === 'number') ? (dims as number[]) : undefined;
}

/** Row-major strides. */
function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Flat index into `dims` (broadcast against the longer `outDims`) of output coordinates `coord`. */
function broadcastIndex(coord: readonly number[], dims: readonly number[]): number {
  const off = coord.length - dims.length;
  const st = strides(dims);
  let k = 0;
  for (let i = 0; i < dims.length; i++) k += (dims[i] === 1 ? 0 : coord[off + i]!) * st[i]!;
  return k;
}

function coords(flat: number, dims: readonly number[]): number[] {
  const c = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    c[i] = flat % dims[i]!;
    flat = Math.floor(flat / dims[i]!);
  }
  return c;
}

/** A symbolic element that stands for an unknown value (not a named dim). */
const unknownDim = (d: Dim): boolean => typeof d === 'string' && d.includes('?');

/**
 * Two elements of a binary op from its value on numbers and on symbolic dims (always ≥ 1: folded only where the
 * result does not depend on their value, N + 0, N · k, N·k / k, N == −1, N > 0, max(N, 1)…; undefined when it does).
 * (The folds are function declarations: rule files import them while this module is still loading.)
 */
function elementFold(a: Dim, b: Dim, how: FoldHow, numeric: (a: number, b: number, how: FoldHow) => Dim | undefined, symbolic: (a: Dim, b: Dim) => Dim | undefined = () => undefined): Dim | undefined {
  if (unknownDim(a) || unknownDim(b)) return undefined;
  return typeof a === 'number' && typeof b === 'number' ? numeric(a, b, how) : symbolic(a, b);
}

export function foldAdd(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => x + y, (x, y) => (y === 0 ? x : x === 0 ? y : undefined));
}

export function foldSub(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => x - y, (x, y) => (y === 0 ? x : x === y ? 0 : undefined));
}

export function foldMul(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => x * y, (x, y) => {
    if (x === 0 || y === 0) return 0;
    if ((typeof x === 'number' && (x < 0 || !Number.isInteger(x))) || (typeof y === 'number' && (y < 0 || !Number.isInteger(y)))) return undefined;
    return product([x, y]);
  });
}

export function foldDiv(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y, { integer }) => (integer ? (y === 0 ? undefined : Math.trunc(x / y)) : x / y), (x, y) => {
    if (x === y) return 1;
    if (typeof y === 'number' && (y <= 0 || !Number.isInteger(y))) return undefined;
    const q = divideDims(x, y);
    return unknownDim(q) || (typeof q === 'number' && !Number.isInteger(q)) ? undefined : q;
  });
}

export function foldMod(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y, { integer, fmod }) => (y === 0 ? undefined : fmod || !integer ? x % y : ((x % y) + y) % y));
}

export function foldPow(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => x ** y);
}

export function foldAnd(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => (x && y ? 1 : 0));
}

export function foldOr(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => (x || y ? 1 : 0));
}

export function foldXor(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => (!x !== !y ? 1 : 0));
}

export function foldMax(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => Math.max(x, y), (x, y) => (x === y ? x : typeof y === 'number' && y <= 1 ? x : typeof x === 'number' && x <= 1 ? y : undefined));
}

export function foldMin(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return elementFold(a, b, how, (x, y) => Math.min(x, y), (x, y) => (x === y ? x : typeof y === 'number' && y <= 1 ? y : typeof x === 'number' && x <= 1 ? x : undefined));
}

/**
 * A comparison: 1 or 0; a symbolic dim s (≥ 1) against a number k gives `symbolFirst(k)` (s REL k) or
 * `numberFirst(k)` (k REL s) where that holds for every s ≥ 1, else undefined; s against itself gives `reflexive`.
 */
function comparisonFold(a: Dim, b: Dim, how: FoldHow, test: (a: number, b: number) => boolean, reflexive: 0 | 1, symbolFirst: (k: number) => Dim | undefined, numberFirst: (k: number) => Dim | undefined): Dim | undefined {
  return elementFold(a, b, how, (x, y) => (test(x, y) ? 1 : 0), (x, y) => {
    if (x === y) return reflexive;
    if (typeof x === 'string') return typeof y === 'number' ? symbolFirst(y) : undefined;
    return numberFirst(x);
  });
}

// s REL k for every symbolic s ≥ 1
function sLess(k: number): Dim | undefined {
  return k <= 1 ? 0 : undefined;
}
function sLessOrEqual(k: number): Dim | undefined {
  return k < 1 ? 0 : undefined;
}
function sGreater(k: number): Dim | undefined {
  return k < 1 ? 1 : undefined;
}
function sGreaterOrEqual(k: number): Dim | undefined {
  return k <= 1 ? 1 : undefined;
}

export function foldEqual(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return comparisonFold(a, b, how, (x, y) => x === y, 1, sLessOrEqual, sLessOrEqual);
}

export function foldLess(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return comparisonFold(a, b, how, (x, y) => x < y, 0, sLess, sGreater);
}

export function foldGreater(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return comparisonFold(a, b, how, (x, y) => x > y, 0, sGreater, sLess);
}

export function foldLessOrEqual(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return comparisonFold(a, b, how, (x, y) => x <= y, 1, sLessOrEqual, sGreaterOrEqual);
}

export function foldGreaterOrEqual(a: Dim, b: Dim, how: FoldHow): Dim | undefined {
  return comparisonFold(a, b, how, (x, y) => x >= y, 1, sGreaterOrEqual, sLessOrEqual);
}

/** Value of `node`'s first output from its inputs' values, when they are known and small (shape arithmetic). */
function foldNode(c: ShapeContext, types: Map<string, number>): void {
  const { node } = c;
  const outName = node.output[0];
  if (!outName || c.values.has(outName)) return;
  const outDims = numericDims(c.shapes.get(outName));
  if (!outDims || count(outDims) > MAX_FOLD) return;
  const data = foldData(c, outDims, types.get(outName) ?? 0);
  if (data && data.length === count(outDims) && data.every((d) => d !== undefined)) c.values.set(outName, data);
}

/** The output values by the op's traits: `keepsValues` (input 0's values) or its `fold` rule; undefined without either. */
function foldData(c: ShapeContext, outDims: number[], outType: number): Dim[] | undefined {
  const { node } = c;
  const input = (i: number): { dims: number[]; data: Dim[] } | undefined => {
    if (!c.has(i)) return undefined;
    const dims = numericDims(c.shapes.get(node.input[i]!));
    const data = c.value(i);
    return dims && data && data.length === count(dims) ? { dims, data } : undefined;
  };
  const traits = opTraits(node.opType);
  if (traits?.keepsValues) return input(0)?.data;
  const rule = traits?.fold;
  if (!rule) return undefined;
  const f: FoldContext = { c, node, outDims, outType, integer: outType !== 0 && !FLOAT_ELEM_TYPES.has(outType), input };
  if (typeof rule === 'function') return rule(f);
  if ('each' in rule) {
    const x = input(0);
    if (!x || !x.data.every((d) => typeof d === 'number')) return undefined;
    return (x.data as number[]).map((d) => (f.integer ? Math.trunc(rule.each(d)) : rule.each(d)));
  }
  if ('pairwise' in rule) {
    // the output type says integer division for Div/Mod (a bool output counts as integer: `f.integer`)
    const how = { integer: f.integer, fmod: attrInt(node, 'fmod', 0) === 1 };
    return broadcastFold(f, node.input.map((_, i) => i), (v) => {
      let acc: Dim | undefined = v[0]!;
      for (let j = 1; j < v.length && acc !== undefined; j++) acc = rule.pairwise(acc, v[j]!, how);
      return acc;
    });
  }
  const [init, combine] = rule.reduce;
  const x = input(0);
  if (!x || !x.data.every((d) => typeof d === 'number')) return undefined;
  const axes = reduceAxes(node, x.dims.length, (i) => c.numbers(i), c.graph.opset);
  const keptDims = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Array<number>(count(keptDims)).fill(init);
  (x.data as number[]).forEach((v, k) => {
    const j = broadcastIndex(coords(k, x.dims).map((ci, i) => (axes.includes(i) ? 0 : ci)), keptDims);
    out[j] = combine(out[j]!, v);
  });
  return out;
}

/** The broadcast of inputs `which`, combined element by element (binary ops, Where, Expand). */
function broadcastFold(f: FoldContext, which: readonly number[], combine: (values: Dim[]) => Dim | undefined): Dim[] | undefined {
  const ins = which.map((i) => f.input(i));
  if (ins.some((x) => !x)) return undefined;
  return Array.from({ length: count(f.outDims) }, (_, k) => {
    const co = coords(k, f.outDims);
    return combine(ins.map((x) => x!.data[broadcastIndex(co, x!.dims)]!));
  }) as Dim[];
}

export function foldWhere(f: FoldContext): Dim[] | undefined {
  return broadcastFold(f, f.node.input.map((_, i) => i), (v) => (typeof v[0] === 'number' ? (v[0] ? v[1] : v[2]) : undefined));
}

export function foldExpand(f: FoldContext): Dim[] | undefined {
  return broadcastFold(f, [0], (v) => v[0]);
}

/** Values as ONNX Cast converts them to element type `to`: bool is ≠ 0, integer types truncate, floats are kept. */
export function castValues(data: Dim[], to: number): Dim[] {
  if (to === T.BOOL) return data.map((d) => (typeof d === 'number' ? (d ? 1 : 0) : d === '' ? undefined : 1)) as Dim[];
  return FLOAT_ELEM_TYPES.has(to) ? data : data.map((d) => (typeof d === 'number' ? Math.trunc(d) : d));
}

export function foldTranspose({ node, outDims, input }: FoldContext): Dim[] | undefined {
  const x = input(0);
  if (!x) return undefined;
  const perm = attrInts(node, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
  const st = strides(x.dims);
  return Array.from({ length: count(outDims) }, (_, k) => {
    const co = coords(k, outDims);
    return x.data[co.reduce((a, ci, i) => a + ci * st[perm[i]!]!, 0)]!;
  });
}

export function foldSlice({ c, node, outDims, input }: FoldContext): Dim[] | undefined {
  const x = input(0);
  if (!x) return undefined;
  const spec = sliceSpec(node, x.dims, (i) => c.numbers(i), c.graph.opset);
  const st = strides(x.dims);
  return Array.from({ length: count(outDims) }, (_, k) => {
    const co = coords(k, outDims);
    for (const s of spec) co[s.axis] = s.start + co[s.axis]! * s.step;
    return x.data[co.reduce((a, ci, i) => a + ci * st[i]!, 0)]!;
  });
}

export function foldGather({ node, outDims, input }: FoldContext): Dim[] | undefined {
  const x = input(0);
  const idx = input(1);
  if (!x || !idx || !idx.data.every((d) => typeof d === 'number')) return undefined;
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += x.dims.length;
  const st = strides(x.dims);
  const ist = strides(idx.dims);
  const ir = idx.dims.length;
  return Array.from({ length: count(outDims) }, (_, k) => {
    const co = coords(k, outDims);
    const at = co.slice(axis, axis + ir);
    let j = idx.data[at.reduce((a, ci, i) => a + ci * ist[i]!, 0)] as number;
    if (j < 0) j += x.dims[axis]!;
    const src = [...co.slice(0, axis), j, ...co.slice(axis + ir)];
    return x.data[src.reduce((a, ci, i) => a + ci * st[i]!, 0)]!;
  });
}

export function foldConcat({ c, node, outDims, input }: FoldContext): Dim[] | undefined {
  const ins = node.input.map((_, i) => i).filter((i) => c.has(i)).map((i) => input(i));
  if (ins.some((x) => !x)) return undefined;
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += outDims.length;
  const outer = count(outDims.slice(0, axis));
  const out: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of ins) {
      const chunk = count(x!.dims.slice(axis));
      out.push(...x!.data.slice(o * chunk, (o + 1) * chunk));
    }
  }
  return out;
}

export function foldConstantOfShape({ node, outDims }: FoldContext): Dim[] | undefined {
  const t = attrTensor(node, 'value');
  const v = t ? tensorNumbers(t)[0] ?? 0 : 0;
  return new Array<Dim>(count(outDims)).fill(v);
}

export function foldRange({ c, outDims }: FoldContext): Dim[] | undefined {
  const [s, , d] = [c.numbers(0)?.[0], c.numbers(1)?.[0], c.numbers(2)?.[0]];
  if (s === undefined || d === undefined) return undefined;
  return Array.from({ length: count(outDims) }, (_, k) => s + k * d);
}

/** e.g. torch's `shape[0] = n` on a shape tensor: data with index tuples replaced by the updates' slices. */
export function foldScatterND({ node, input }: FoldContext): Dim[] | undefined {
  const [x, idx, upd] = [input(0), input(1), input(2)];
  if (!x || !idx || !upd || !idx.data.every((d) => typeof d === 'number') || attrString(node, 'reduction', 'none') !== 'none') return undefined;
  const q = idx.dims[idx.dims.length - 1]!;
  const slice = count(x.dims.slice(q));
  const st = strides(x.dims);
  const out = [...x.data];
  for (let t = 0; t < idx.data.length / q; t++) {
    const at = (idx.data.slice(t * q, (t + 1) * q) as number[]).reduce((a, ci, i) => a + (ci < 0 ? ci + x.dims[i]! : ci) * st[i]!, 0);
    for (let e = 0; e < slice; e++) out[at + e] = upd.data[t * slice + e]!;
  }
  return out;
}

export function foldTile({ outDims, input }: FoldContext): Dim[] | undefined {
  const x = input(0);
  if (!x) return undefined;
  const st = strides(x.dims);
  return Array.from({ length: count(outDims) }, (_, k) => x.data[coords(k, outDims).reduce((a, ci, i) => a + (ci % x.dims[i]!) * st[i]!, 0)]!);
}
