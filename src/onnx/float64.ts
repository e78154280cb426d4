import { LumenError } from '../errors.js';
import { attrInt, attrInts, getAttribute, makeAttribute } from './attributes.js';
import { OnnxGraph, valueInfoDims, valueInfoElemType, type Dim } from './graph.js';
import { TensorProto_DataType, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { inferElemTypes, inferShapes, poolGeometry } from './shapes.js';
import { makeTensorProto, tensorDims, tensorValues } from './tensor-proto.js';
import { GraphOps } from '../autodiff/ops.js';
import { axesInputSince, opTraits, type OpTraits } from '../autodiff/registry.js';
import '../autodiff/rules/index.js';

/**
 * Reference precision: run a float32 model (and the backward graph built from it) in float64 on ONNX Runtime.
 *
 * ORT's CPU provider has no double kernels for Conv, ConvTranspose, AveragePool, GlobalAveragePool/GlobalMaxPool
 * (among others), so this goes in two steps:
 *   1. `decomposeForFloat64(model)`: the forward graph with those ops rewritten into ops that have a double
 *      kernel (Conv → Pad + strided Slices + Concat + MatMul, i.e. an exact im2col; GlobalAveragePool →
 *      ReduceMean; GlobalMaxPool → one MaxPool window over the flattened image; AveragePool → a sum of strided
 *      Slices divided by the count; the constants these add are already double, everything else is still float32).
 *      Tensor names the rest of Lumen knows (every original node output) are kept. The backward graph is then built over this graph by the usual
 *      rules (Slice, Pad, Concat, MatMul, Transpose, Reshape, ReduceMean … all have one).
 *   2. `castGraphToFloat64(graph)`: every float tensor of the complete graph becomes double (initializers, Constant,
 *      ConstantOfShape, Cast to float), float graph inputs are Cast to double where they enter and float outputs are
 *      Cast back to float32 where they leave, so callers feed and read float32 as before. Any op left without a
 *      double kernel is reported as a LumenError naming it.
 */

/**
 * Session settings for float64 graphs: ORT's 'extended' optimizations fuse patterns into contrib ops that only have
 * float kernels (x·Sigmoid(x) → com.microsoft.QuickGelu, Gelu/FastGelu, FusedMatMul …) and the session then fails.
 * 'basic' keeps constant folding and redundant-node elimination.
 */
export const FLOAT64_SESSION_SETTINGS = { graphOptimizationLevel: 'basic' } as const;

type Rewrite = (g: OnnxGraph, node: NodeProto, shapes: Map<string, Dim[]>) => void;

const REWRITES: Record<string, Rewrite> = {
  Conv: rewriteConv,
  GlobalAveragePool: rewriteGlobalAveragePool,
  GlobalMaxPool: rewriteGlobalMaxPool,
  AveragePool: rewriteAveragePool,
};

/** Ops `decomposeForFloat64` rewrites. */
export const DECOMPOSED_OPS: readonly string[] = Object.keys(REWRITES);

/**
 * A copy of `model` (float32 tensors, double constants for the rewrites) whose Conv / GlobalAveragePool / GlobalMaxPool / AveragePool nodes are
 * rewritten into ops with double kernels, the result written to the original output names. Throws a LumenError
 * naming the first node whose op has no double kernel and no rewrite.
 */
export function decomposeForFloat64(model: ModelProto, feedDims?: Readonly<Record<string, readonly Dim[]>>): ModelProto {
  const g = OnnxGraph.copyOf(model);
  const shapes = inferShapes(g, feedDims);
  const original = [...g.graph.node];
  const ordered: NodeProto[] = [];
  for (const node of original) {
    const rewrite = (node.domain === '' || node.domain === 'ai.onnx') ? REWRITES[node.opType] : undefined;
    if (!rewrite) {
      if (!isDoubleOp(node)) throw noDoubleKernel(node);
      ordered.push(node);
      continue;
    }
    const before = g.graph.node.length;
    rewrite(g, node, shapes);
    ordered.push(...g.graph.node.splice(before));
  }
  g.graph.node.splice(0, g.graph.node.length, ...ordered);
  // drop the replaced nodes' weights (ORT warns about unused initializers), and their declarations as inputs
  const used = new Set(ordered.flatMap((n) => n.input));
  for (const o of g.graph.output) used.add(o.name);
  g.removeInitializers((t) => !used.has(t.name));
  return g.model;
}

/**
 * Retype a graph to float64 in place: float initializers, Constant / ConstantOfShape values and Casts to float
 * become double; float graph inputs get a Cast to double, float graph outputs a Cast back to float32 (their names
 * unchanged); with `io: 'float64'` they are declared double instead (fed and read as Float64Array). Throws a
 * LumenError naming the first node whose op has no double kernel.
 */
export function castGraphToFloat64(g: OnnxGraph, options: { io?: 'float32' | 'float64'; residuals?: readonly string[] } = {}): void {
  const FLOAT = TensorProto_DataType.FLOAT;
  const DOUBLE = TensorProto_DataType.DOUBLE;
  const graph = g.graph;
  for (const node of graph.node) if (!isDoubleOp(node) && float64Treatment(node) !== 'float-then-cast') throw noDoubleKernel(node);

  const inits = new Set<string>();
  for (const t of [...graph.initializer]) {
    inits.add(t.name);
    if (t.dataType === FLOAT) g.setInitializer(toDoubleTensor(t));
  }
  for (const node of graph.node) {
    switch (float64Treatment(node)) {
      case 'value-attributes': {
        const value = getAttribute(node, 'value');
        const f = getAttribute(node, 'value_float');
        const fs = getAttribute(node, 'value_floats');
        if (value?.t && value.t.dataType === FLOAT) value.t = toDoubleTensor(value.t);
        else if (f) replaceAttr(node, 'value_float', makeAttribute('value', { t: makeTensorProto('', Float64Array.of(f.f), [], DOUBLE) }));
        else if (fs) replaceAttr(node, 'value_floats', makeAttribute('value', { t: makeTensorProto('', Float64Array.from(fs.floats), [fs.floats.length], DOUBLE) }));
        break;
      }
      case 'fill-value': {
        const value = getAttribute(node, 'value');
        if (!value?.t) node.attribute.push(makeAttribute('value', { t: makeTensorProto('', Float64Array.of(0), [1], DOUBLE) }));
        else if (value.t.dataType === FLOAT) value.t = toDoubleTensor(value.t);
        break;
      }
      case 'cast-target': {
        const to = getAttribute(node, 'to');
        if (to && Number(to.i) === FLOAT) to.i = BigInt(DOUBLE);
        break;
      }
      default:
        break;
    }
  }
  for (const v of graph.input) {
    if (inits.has(v.name) && valueInfoElemType(v) === FLOAT) setElemType(v, DOUBLE);
  }
  // OneHot (the in-graph top-k seed) has no double kernel: float on/off values (0 and 1, exact), then Cast to double
  for (let i = 0; i < graph.node.length; i++) {
    const node = graph.node[i]!;
    if (float64Treatment(node) !== 'float-then-cast') continue;
    const values = g.constantTensor(node.input[2]!);
    if (!values) throw noDoubleKernel(node);
    node.input[2] = g.addInitializer(Float32Array.from(tensorValues(values) as Float32Array | Float64Array), tensorDims(values), 'lumen_onehot_values');
    const inner = g.uniqueName(`${node.output[0]}_f32`);
    const output = node.output[0]!;
    g.renameOutput(node, 0, inner);
    g.addNode('Cast', [inner], [output], { to: { i: DOUBLE } });
    graph.node.splice(i + 1, 0, graph.node.pop()!);
  }
  const used = new Set(graph.node.flatMap((n) => n.input));
  for (const o of graph.output) used.add(o.name);
  g.removeInitializers((t) => !used.has(t.name));
  // the file's declarations of inner values still say float: dropped (ORT infers them)
  graph.valueInfo.splice(0);
  if (options.io === 'float64') {
    // double in and out: the float feeds and outputs are simply declared double
    for (const v of [...graph.input, ...graph.output]) if (valueInfoElemType(v) === FLOAT) setElemType(v, DOUBLE);
  } else {
    // float feeds: Cast to double where they enter (the first nodes of the graph); a feed named in `residuals`
    // enters as Cast(x) + Cast(x_lo), x_lo a second float32 feed (residualName(x)) holding what float32 rounded off
    const head: NodeProto[] = [];
    for (const v of [...graph.input]) {
      if (inits.has(v.name) || valueInfoElemType(v) !== FLOAT) continue;
      const inner = g.uniqueName(`${v.name}_f64`);
      renameUses(graph.node, v.name, inner);
      const before = graph.node.length;
      if (options.residuals?.includes(v.name)) {
        const lo = g.addInput(residualName(v.name), valueInfoDims(v) ?? [], FLOAT);
        g.addNode('Add', [g.op('Cast', [v.name], { to: { i: DOUBLE } }), g.op('Cast', [lo], { to: { i: DOUBLE } })], [inner]);
      } else {
        g.addNode('Cast', [v.name], [inner], { to: { i: DOUBLE } });
      }
      head.push(...graph.node.splice(before));
    }
    graph.node.unshift(...head);
    // double outputs: produced under an inner name, Cast back to float32 under the output's name. Which ones are
    // double (not indices, shapes or masks): a float output is double now, as every float tensor but the feeds (its
    // declaration follows); an undeclared one has the type its node now gives it (src/onnx/shapes.ts; unknown: cast)
    const feeds = new Set(graph.input.filter((v) => !inits.has(v.name)).map((v) => v.name));
    for (const v of graph.output) if (valueInfoElemType(v) === FLOAT && !feeds.has(v.name)) setElemType(v, DOUBLE);
    const types = inferElemTypes(g);
    for (const v of graph.output) {
      const type = types.get(v.name);
      if (type && type !== DOUBLE) continue;
      const producer = g.producer(v.name);
      if (!producer) continue;
      const inner = g.uniqueName(`${v.name}_f64`);
      g.renameOutput(producer, producer.output.indexOf(v.name), inner);
      renameUses(graph.node, v.name, inner);
      g.addNode('Cast', [inner], [v.name], { to: { i: FLOAT } });
      if (valueInfoElemType(v) === DOUBLE) setElemType(v, FLOAT);
    }
  }
}

/**
 * The extra float32 feed of a float64 graph input named in `castGraphToFloat64`'s `residuals`: a double value d
 * is fed as hi = fround(d) on the input and lo = fround(d − hi) here (hi + lo is d to ~2⁻⁴⁸ relative).
 */
export function residualName(input: string): string {
  return `${input}__lumen_f64_lo`;
}

/** Split double values into the float32 pair (hi, lo) that a residual input sums back in double. */
export function splitFloat64(values: Float64Array): { hi: Float32Array; lo: Float32Array } {
  const hi = Float32Array.from(values);
  const lo = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) lo[i] = values[i]! - hi[i]!;
  return { hi, lo };
}

/** The node's own float64 treatment (its op's `float64` trait; ONNX domain only). */
function float64Treatment(node: NodeProto): OpTraits['float64'] {
  return node.domain === '' || node.domain === 'ai.onnx' ? opTraits(node.opType)?.float64 : undefined;
}

function isDoubleOp(node: NodeProto): boolean {
  // the op's traits say whether ONNX Runtime's CPU provider has a double kernel for it (checked on onnxruntime-node 1.20)
  return (node.domain === '' || node.domain === 'ai.onnx') && opTraits(node.opType)?.doubleKernel === true;
}

function noDoubleKernel(node: NodeProto): LumenError {
  return new LumenError(
    'UNSUPPORTED_OP',
    `precision float64: op ${node.domain ? `${node.domain}.` : ''}${node.opType} (node '${node.name || node.output[0]}') has no double-precision kernel in ONNX Runtime ` +
      `and Lumen has no float64 rewrite for it (rewritten: ${DECOMPOSED_OPS.join(', ')}). Use precision float32 for this model.`,
  );
}

function toDoubleTensor(t: TensorProto): TensorProto {
  return makeTensorProto(t.name, Float64Array.from(tensorValues(t) as Float32Array), tensorDims(t), TensorProto_DataType.DOUBLE);
}

function replaceAttr(node: NodeProto, name: string, attr: ReturnType<typeof makeAttribute>): void {
  node.attribute = node.attribute.filter((a) => a.name !== name);
  node.attribute.push(attr);
}

function setElemType(v: { type?: { value: { case: string | undefined; value?: unknown } } | undefined }, elemType: number): void {
  const t = v.type?.value;
  if (t && t.case === 'tensorType') (t.value as { elemType: number }).elemType = elemType;
}

function renameUses(nodes: readonly NodeProto[], from: string, to: string): void {
  for (const n of nodes) {
    for (let i = 0; i < n.input.length; i++) if (n.input[i] === from) n.input[i] = to;
  }
}

function staticDims(node: NodeProto, what: string, dims: readonly Dim[] | undefined, from = 1): number[] {
  if (!dims || dims.slice(from).some((d) => typeof d !== 'number')) {
    throw new LumenError('UNSUPPORTED_OP', `precision float64: ${node.opType} '${node.name || node.output[0]}' needs a static ${what} shape (got [${(dims ?? ['?']).join(', ')}])`);
  }
  return dims.slice(from) as number[];
}

/** ReduceMean over `axes` (keepdims) at the graph's opset (axes an input from its `axesInputSince`), written to `output`. */
function reduceMean(g: OnnxGraph, x: string, axes: readonly number[], output: string): void {
  if (g.opset >= axesInputSince('ReduceMean')) g.addNode('ReduceMean', [x, g.int64s(axes)], [output], { keepdims: { i: 1 } });
  else g.addNode('ReduceMean', [x], [output], { axes: { ints: axes }, keepdims: { i: 1 } });
}

/**
 * GlobalMaxPool as one MaxPool window over the flattened spatial axis, so the gradient still goes to the first
 * maximum (the MaxPool Indices path) as the GlobalMaxPool rule does, not split between ties as ReduceMax's.
 */
function rewriteGlobalMaxPool(g: OnnxGraph, node: NodeProto, shapes: Map<string, Dim[]>): void {
  const x = node.input[0]!;
  const [, ...spatial] = staticDims(node, 'input', shapes.get(x));
  const area = spatial.reduce((a, b) => a * b, 1);
  const column = g.op('Reshape', [x, g.int64s([0, 0, area, 1])]);
  const pooled = g.op('MaxPool', [column], { kernel_shape: { ints: [area, 1] } });
  g.addNode('Reshape', [pooled, g.int64s([0, 0, ...spatial.map(() => 1)])], [node.output[0]!]);
}

/** GlobalAveragePool as ReduceMean over every spatial axis. */
function rewriteGlobalAveragePool(g: OnnxGraph, node: NodeProto, shapes: Map<string, Dim[]>): void {
  const x = node.input[0]!;
  const rank = shapes.get(x)?.length;
  if (rank === undefined) throw new LumenError('UNSUPPORTED_OP', `precision float64: ${node.opType} '${node.name}': the rank of '${x}' is unknown`);
  reduceMean(g, x, Array.from({ length: rank - 2 }, (_, i) => i + 2), node.output[0]!);
}

/** Every kernel offset (row-major) of a kernel shape. */
function offsets(kernel: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const k of kernel) out = out.flatMap((o) => Array.from({ length: k }, (_, i) => [...o, i]));
  return out;
}

/** Zero-pad the spatial axes (begin pads, end pads); x unchanged when all are 0. */
function padSpatial(g: OnnxGraph, x: string, begin: readonly number[], end: readonly number[]): string {
  if ([...begin, ...end].every((p) => p === 0)) return x;
  return g.op('Pad', [x, g.int64s([0, 0, ...begin, 0, 0, ...end])]);
}

/**
 * The strided window slices of a padded tensor: for each kernel offset, the values every output position reads
 * there. `axes` are the spatial axes of `x`.
 */
function windowSlices(g: OnnxGraph, x: string, axes: readonly number[], padded: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[], out: readonly number[]): string[] {
  return offsets(kernel).map((k) => {
    const starts = k.map((ki, i) => ki * dilations[i]!);
    const ends = starts.map((s, i) => s + (out[i]! - 1) * strides[i]! + 1);
    const whole = starts.every((s, i) => s === 0 && ends[i] === padded[i] && strides[i] === 1);
    if (whole) return x;
    return g.op('Slice', [x, g.int64s(starts), g.int64s(ends), g.int64s(axes), g.int64s(strides)]);
  });
}

/**
 * Conv as an exact im2col: x (zero-padded) is moved to channels-last, the k strided slices (one per kernel offset)
 * are concatenated on the channel axis, and one MatMul with the weight laid out as [k·C, C_out] (per group: a
 * batched MatMul [G, k·C/G, C_out/G]; depthwise: Mul + ReduceSum) gives the output, then bias and back to
 * channels-first. The weight must be a constant (initializer or Constant).
 */
function rewriteConv(g: OnnxGraph, node: NodeProto, shapes: Map<string, Dim[]>): void {
  const [x, w, b] = [node.input[0]!, node.input[1]!, node.input[2]];
  const wt = g.constantTensor(w);
  if (!wt) throw new LumenError('UNSUPPORTED_OP', `precision float64: Conv '${node.name}' has a weight computed in the graph ('${w}'); only constant weights are rewritten`);
  const wDims = tensorDims(wt);
  const weights = tensorValues(wt) as Float32Array | Float64Array;
  const [cout, cg, ...kernel] = wDims as [number, number, ...number[]];
  const spatial = kernel.length;
  const xs = shapes.get(x);
  const [channels, ...inSize] = staticDims(node, 'input', xs);
  const group = attrInt(node, 'group', 1);
  if (channels !== cg * group || cout % group !== 0) throw new LumenError('UNSUPPORTED_OP', `precision float64: Conv '${node.name}': ${channels} input channels, weight [${wDims.join(', ')}], group ${group} do not fit`);
  const geo = poolGeometry(node, inSize, attrInts(node, 'kernel_shape', kernel));
  const out = geo.output as number[];
  const cog = cout / group;
  const padded = inSize.map((d, i) => d + geo.pads[i]! + geo.pads[i + spatial]!);
  const xp = padSpatial(g, x, geo.pads.slice(0, spatial), geo.pads.slice(spatial));
  // channels last: [N, ...padded, C] (grouped: [N, ...padded, G, C/G])
  let last = g.op('Transpose', [xp], { perm: { ints: [0, ...Array.from({ length: spatial }, (_, i) => i + 2), 1] } });
  if (group > 1) last = g.op('Reshape', [last, g.int64s([0, ...padded, group, cg])]);
  const axes = Array.from({ length: spatial }, (_, i) => i + 1);
  const slices = windowSlices(g, last, axes, padded, kernel, geo.strides, geo.dilations, out);
  const cols = slices.length === 1 ? slices[0]! : g.op('Concat', slices, { axis: { i: -1 } }); // [N, ...out, (G,) k·C/G]
  const K = slices.length;
  // w[o, c, k] (o = gi·cog + j) at column k·cg + c
  let y: string;
  if (group === 1) {
    const wm = new Float64Array(K * cg * cout);
    for (let o = 0; o < cout; o++) for (let c = 0; c < cg; c++) for (let k = 0; k < K; k++) wm[(k * cg + c) * cout + o] = weights[(o * cg + c) * K + k]!;
    y = g.op('MatMul', [cols, g.addInitializer(wm, [K * cg, cout], 'lumen_f64_conv_w')]);
  } else if (cg === 1 && cog === 1) {
    const wd = new Float64Array(group * K);
    for (let gi = 0; gi < group; gi++) for (let k = 0; k < K; k++) wd[gi * K + k] = weights[gi * K + k]!;
    const prod = g.op('Mul', [cols, g.addInitializer(wd, [group, K], 'lumen_f64_conv_w')]);
    y = new GraphOps(g, g.opset).reduceSum(prod, [-1], false);
  } else {
    const wg = new Float64Array(group * K * cg * cog);
    for (let gi = 0; gi < group; gi++) {
      for (let j = 0; j < cog; j++) for (let c = 0; c < cg; c++) for (let k = 0; k < K; k++) wg[(gi * K * cg + k * cg + c) * cog + j] = weights[((gi * cog + j) * cg + c) * K + k]!;
    }
    const rows = new GraphOps(g, g.opset).unsqueeze(cols, [spatial + 2]);
    const prod = g.op('MatMul', [rows, g.addInitializer(wg, [group, K * cg, cog], 'lumen_f64_conv_w')]); // [N, ...out, G, 1, cog]
    y = g.op('Reshape', [prod, g.int64s([0, ...out, cout])]);
  }
  if (b) y = g.op('Add', [y, b]);
  g.addNode('Transpose', [y], [node.output[0]!], { perm: { ints: [0, spatial + 1, ...Array.from({ length: spatial }, (_, i) => i + 1)] } });
}

/**
 * AveragePool as the sum of the k strided window slices of the zero-padded input divided by count, count = window
 * positions inside the input (count_include_pad=0) or inside the padded input (count_include_pad=1); ceil_mode
 * windows that run past the padding count only what they cover.
 */
function rewriteAveragePool(g: OnnxGraph, node: NodeProto, shapes: Map<string, Dim[]>): void {
  const x = node.input[0]!;
  const [, ...inSize] = staticDims(node, 'input', shapes.get(x));
  const kernel = attrInts(node, 'kernel_shape', []);
  const spatial = kernel.length;
  const geo = poolGeometry(node, inSize, kernel);
  const out = geo.output as number[];
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  // end pads widened so the last (ceil_mode) window fits
  const padsEnd = inSize.map((d, i) => Math.max(geo.pads[i + spatial]!, (out[i]! - 1) * geo.strides[i]! + (kernel[i]! - 1) * geo.dilations[i]! + 1 - d - geo.pads[i]!));
  const padded = inSize.map((d, i) => d + geo.pads[i]! + padsEnd[i]!);
  const xp = padSpatial(g, x, geo.pads.slice(0, spatial), padsEnd);
  const axes = Array.from({ length: spatial }, (_, i) => i + 2);
  const slices = windowSlices(g, xp, axes, padded, kernel, geo.strides, geo.dilations, out);
  let sum = slices[0]!;
  for (let i = 1; i < slices.length; i++) sum = g.op('Add', [sum, slices[i]!]);
  const positions = out.reduce((a, b2) => a * b2, 1);
  const counts = new Float64Array(positions);
  for (let p = 0; p < positions; p++) {
    let rem = p;
    const idx = new Array<number>(spatial);
    for (let i = spatial - 1; i >= 0; i--) {
      idx[i] = rem % out[i]!;
      rem = Math.floor(rem / out[i]!);
    }
    let count = 0;
    for (const k of offsets(kernel)) {
      let inside = true;
      for (let i = 0; i < spatial; i++) {
        const pos = idx[i]! * geo.strides[i]! + k[i]! * geo.dilations[i]! - geo.pads[i]!;
        const lo = includePad ? -geo.pads[i]! : 0;
        const hi = includePad ? inSize[i]! + geo.pads[i + spatial]! : inSize[i]!;
        if (pos < lo || pos >= hi) inside = false;
      }
      if (inside) count++;
    }
    counts[p] = count;
  }
  g.addNode('Div', [sum, g.addInitializer(counts, [1, 1, ...out], 'lumen_f64_avg_count')], [node.output[0]!]);
}
