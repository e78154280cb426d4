import { LumenError } from '../errors.js';
import { GraphBuilder, type Activation, type Padding, type Value } from './builder.js';
import type { TfjsWeight } from './weights.js';

/** A node of a TF.js graph model's `modelTopology.node` (TensorFlow's GraphDef in JSON). */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

interface TfAttr {
  i?: string | number;
  f?: number;
  b?: boolean;
  s?: string;
  type?: string;
  list?: { i?: (string | number)[]; s?: string[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

/** The TF ops the graph converter maps (what the TF.js face classifiers and MobileNets use). */
export const GRAPH_OPS = [
  '_FusedConv2D', 'FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative', 'Conv2D', '_FusedMatMul', 'MatMul', 'MaxPool',
  'AvgPool', 'Mean', 'Max', 'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Minimum', 'Maximum', 'Relu', 'Relu6', 'Tanh',
  'Sigmoid', 'Softmax', 'Reshape', 'Squeeze', 'ExpandDims', 'StridedSlice', 'Pad', 'ConcatV2',
  // bookkeeping ops with no computation
  'Placeholder', 'Const', 'Identity', 'BiasAdd', 'LeakyRelu', 'Elu',
] as const;

const SUPPORTED = new Set<string>(GRAPH_OPS);

function decodeB64(s: string): string {
  return atob(s);
}

function attrInts(node: TfNode, key: string, fallback: number[]): number[] {
  const a = node.attr?.[key];
  return a?.list?.i ? a.list.i.map(Number) : fallback;
}

function attrInt(node: TfNode, key: string, fallback: number): number {
  const a = node.attr?.[key];
  return a?.i !== undefined ? Number(a.i) : fallback;
}

function attrFloat(node: TfNode, key: string, fallback: number): number {
  const a = node.attr?.[key];
  return a?.f !== undefined ? Number(a.f) : fallback;
}

function attrBool(node: TfNode, key: string): boolean {
  return node.attr?.[key]?.b === true;
}

function attrString(node: TfNode, key: string, fallback: string): string {
  const a = node.attr?.[key];
  return a?.s !== undefined ? decodeB64(a.s) : fallback;
}

function attrStrings(node: TfNode, key: string): string[] {
  return node.attr?.[key]?.list?.s?.map(decodeB64) ?? [];
}

/**
 * Convert a TF.js graph model into `b`. `weights` holds the Const nodes' values by node name. Returns the output
 * values (the model's `signature.outputs` order when given, else the nodes nothing consumes).
 */
export function convertGraphModel(nodes: readonly TfNode[], weights: Map<string, TfjsWeight>, b: GraphBuilder, source: string, outputNames?: string[]): Value[] {
  const unsupported = nodes.filter((n) => !SUPPORTED.has(n.op));
  if (unsupported.length) {
    const first = unsupported[0]!;
    const ops = [...new Set(unsupported.map((n) => n.op))];
    throw new LumenError(
      'UNSUPPORTED_OP',
      `${source}: TF op '${first.op}' (node '${first.name}') is not supported by the TF.js importer` +
        (ops.length > 1 ? `; also unsupported: ${ops.slice(1).join(', ')}` : '') + `. Supported: ${GRAPH_OPS.filter((o) => o !== 'Placeholder' && o !== 'Const').join(', ')}`,
    );
  }
  const values = new Map<string, Value>();
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const ref = (s: string): string => {
    const clean = s.startsWith('^') ? s.slice(1) : s;
    const [name, idx] = clean.split(':');
    if (idx && idx !== '0') throw new LumenError('UNSUPPORTED_OP', `${source}: input '${s}' uses output ${idx} of a node; only single-output ops are supported`);
    return name!;
  };
  const get = (n: TfNode, i: number): Value => {
    const name = ref(n.input![i]!);
    const v = values.get(name) ?? convert(byName.get(name), name);
    return v;
  };
  const constOf = (n: TfNode, i: number, what: string): number[] => {
    const v = get(n, i);
    if (!v.constant) throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' (${n.op}) needs a constant ${what}; it is computed at run time`);
    return Array.from(v.constant);
  };
  const floatConst = (n: TfNode, i: number, what: string): Float32Array => {
    const v = get(n, i);
    if (!v.constant || v.int) throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' (${n.op}) needs constant float ${what}`);
    return v.constant as Float32Array;
  };
  const padding = (n: TfNode): Padding => {
    const p = attrString(n, 'padding', 'VALID');
    if (p === 'SAME' || p === 'VALID') return p;
    if (p === 'EXPLICIT') {
      const e = attrInts(n, 'explicit_paddings', []);
      return [[e[2]!, e[3]!], [e[4]!, e[5]!]];
    }
    throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' has padding '${p}'`);
  };
  const checkNhwc = (n: TfNode): void => {
    const f = attrString(n, 'data_format', 'NHWC');
    if (f !== 'NHWC') throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' (${n.op}) uses data_format ${f}; only NHWC is supported`);
  };

  /** The fused epilogue of _FusedConv2D / _FusedMatMul: BiasAdd, then an activation. */
  const fused = (n: TfNode, bias: number): { bias?: Float32Array; act: Activation; alpha: number } => {
    const ops = attrStrings(n, 'fused_ops');
    let at = 0;
    let biasValues: Float32Array | undefined;
    if (ops[0] === 'BiasAdd') {
      biasValues = floatConst(n, bias, 'bias');
      at = 1;
    } else if (ops.length && ops[0] !== 'BiasAdd') {
      throw new LumenError('UNSUPPORTED_OP', `${source}: node '${n.name}' (${n.op}) fuses ${ops.join(' + ')}; only BiasAdd followed by Relu, Relu6, LeakyRelu, Elu, Sigmoid or Tanh is supported`);
    }
    const rest = ops.slice(at);
    const acts: Record<string, Activation> = { Relu: 'relu', Relu6: 'relu6', LeakyRelu: 'leakyrelu', Elu: 'elu', Sigmoid: 'sigmoid', Tanh: 'tanh' };
    if (rest.length > 1 || (rest.length === 1 && !acts[rest[0]!])) {
      throw new LumenError('UNSUPPORTED_OP', `${source}: node '${n.name}' (${n.op}) fuses ${ops.join(' + ')}; only BiasAdd followed by Relu, Relu6, LeakyRelu, Elu, Sigmoid or Tanh is supported`);
    }
    return { bias: biasValues, act: rest.length ? acts[rest[0]!]! : 'linear', alpha: attrFloat(n, 'leakyrelu_alpha', 0.2) };
  };

  const convert = (n: TfNode | undefined, name: string): Value => {
    if (!n) throw new LumenError('CORRUPT_MODEL', `${source}: node '${name}' is referenced but not defined`);
    const done = values.get(n.name);
    if (done) return done;
    const v = convertNode(n);
    values.set(n.name, v);
    return v;
  };

  const convertNode = (n: TfNode): Value => {
    const inputs = (n.input ?? []).filter((s) => !s.startsWith('^'));
    n = { ...n, input: inputs };
    switch (n.op) {
      case 'Placeholder': {
        const dims = n.attr?.shape?.shape?.dim?.map((d) => Number(d.size ?? -1));
        if (!dims) throw new LumenError('UNSUPPORTED_MODEL', `${source}: input '${n.name}' has no declared shape`);
        return b.input(n.name, dims);
      }
      case 'Const': {
        const w = weights.get(n.name);
        if (!w) throw new LumenError('CORRUPT_MODEL', `${source}: constant '${n.name}' has no entry in the weights manifest`);
        return b.constant(w.values, w.shape, n.name);
      }
      case 'Identity':
        return get(n, 0);
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        checkNhwc(n);
        const depthwise = n.op.includes('Depthwise');
        const x = get(n, 0);
        const k = get(n, 1);
        if (!k.constant || k.int) throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' (${n.op}) has a kernel computed at run time`);
        const f = n.op.startsWith('Fused') || n.op.startsWith('_Fused') ? fused(n, 2) : { bias: undefined, act: 'linear' as Activation, alpha: 0.2 };
        const s = attrInts(n, 'strides', [1, 1, 1, 1]);
        const d = attrInts(n, 'dilations', [1, 1, 1, 1]);
        const conv = b.conv(x, {
          kernel: k.constant as Float32Array, kernelShape: k.shape, bias: f.bias, strides: [s[1]!, s[2]!], dilations: [d[1]!, d[2]!], padding: padding(n), depthwise,
        }, f.act === 'linear' ? n.name : `${n.name}/conv`);
        return b.activation(conv, f.act, n.name, f.alpha);
      }
      case 'BiasAdd': {
        checkNhwc(n);
        return b.affine(get(n, 0), undefined, floatConst(n, 1, 'bias'), n.name);
      }
      case 'MatMul':
      case '_FusedMatMul': {
        const x = get(n, 0);
        const w = get(n, 1);
        if (attrBool(n, 'transpose_a')) throw new LumenError('UNSUPPORTED_OP', `${source}: node '${n.name}' (${n.op}) with transpose_a is not supported`);
        if (!w.constant || w.int || w.shape.length !== 2) throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' (${n.op}) multiplies two run-time tensors; only x × constant weights is supported`);
        const f = n.op === '_FusedMatMul' ? fused(n, 2) : { bias: undefined, act: 'linear' as Activation, alpha: 0.2 };
        const mm = b.dense(x, w.constant as Float32Array, w.shape as [number, number], f.bias, f.act === 'linear' ? n.name : `${n.name}/matmul`, attrBool(n, 'transpose_b'));
        return b.activation(mm, f.act, n.name, f.alpha);
      }
      case 'MaxPool':
      case 'AvgPool': {
        checkNhwc(n);
        const k = attrInts(n, 'ksize', [1, 1, 1, 1]);
        const s = attrInts(n, 'strides', [1, 1, 1, 1]);
        const p = padding(n);
        if (Array.isArray(p)) throw new LumenError('UNSUPPORTED_MODEL', `${source}: pool '${n.name}' has explicit padding`);
        return b.pool(get(n, 0), n.op === 'MaxPool' ? 'max' : 'avg', [k[1]!, k[2]!], [s[1]!, s[2]!], p, n.name);
      }
      case 'Mean':
      case 'Max':
        return b.reduce(n.op === 'Mean' ? 'ReduceMean' : 'ReduceMax', get(n, 0), constOf(n, 1, 'axes'), attrBool(n, 'keep_dims'), n.name);
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Minimum':
      case 'Maximum': {
        const op = ({ Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Minimum: 'Min', Maximum: 'Max' } as const)[n.op];
        const [x, y] = [get(n, 0), get(n, 1)];
        if (x.int || y.int) throw new LumenError('UNSUPPORTED_MODEL', `${source}: node '${n.name}' (${n.op}) computes on integers (shape arithmetic), which the importer does not support`);
        return b.binary(op, x, y, n.name);
      }
      case 'Relu':
      case 'Relu6':
      case 'Tanh':
      case 'Sigmoid':
      case 'Elu':
      case 'LeakyRelu': {
        const act = ({ Relu: 'relu', Relu6: 'relu6', Tanh: 'tanh', Sigmoid: 'sigmoid', Elu: 'elu', LeakyRelu: 'leakyrelu' } as const)[n.op];
        return b.activation(get(n, 0), act, n.name, attrFloat(n, 'alpha', 0.2));
      }
      case 'Softmax':
        return b.softmax(get(n, 0), -1, n.name);
      case 'Reshape':
        return b.reshape(get(n, 0), constOf(n, 1, 'shape'), n.name);
      case 'Squeeze':
        return b.squeeze(get(n, 0), attrInts(n, 'squeeze_dims', attrInts(n, 'axis', [])), n.name);
      case 'ExpandDims': {
        const axis = constOf(n, 1, 'axis');
        return b.unsqueeze(get(n, 0), axis[0]!, n.name);
      }
      case 'Pad': {
        const x = get(n, 0);
        const p = constOf(n, 1, 'paddings');
        return b.pad(x, x.shape.map((_, i) => [p[2 * i]!, p[2 * i + 1]!]), n.name);
      }
      case 'ConcatV2': {
        const count = inputs.length - 1;
        const axis = constOf(n, count, 'axis')[0]!;
        return b.concat(Array.from({ length: count }, (_, i) => get(n, i)), axis, n.name);
      }
      case 'StridedSlice':
        return stridedSlice(n);
    }
    throw new LumenError('UNSUPPORTED_OP', `${source}: TF op '${n.op}' (node '${n.name}') is not supported by the TF.js importer`);
  };

  /** StridedSlice with begin/end/shrink masks (no ellipsis or new-axis masks) → Slice (+ Squeeze). */
  const stridedSlice = (n: TfNode): Value => {
    const x = get(n, 0);
    const begin = constOf(n, 1, 'begin');
    const end = constOf(n, 2, 'end');
    const strides = constOf(n, 3, 'strides');
    const [bm, em, ell, na, sh] = ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'].map((k) => attrInt(n, k, 0));
    if (ell || na) throw new LumenError('UNSUPPORTED_OP', `${source}: StridedSlice '${n.name}' uses an ellipsis or new-axis mask, which the importer does not support`);
    const BIG = 2 ** 31 - 1;
    const starts: number[] = [];
    const ends: number[] = [];
    const axes: number[] = [];
    const steps: number[] = [];
    const squeeze: number[] = [];
    begin.forEach((bg, i) => {
      const st = strides[i] ?? 1;
      const shrink = (sh >> i) & 1;
      let s = (bm >> i) & 1 ? (st > 0 ? 0 : BIG) : bg;
      let e = (em >> i) & 1 ? (st > 0 ? BIG : -BIG) : end[i]!;
      if (shrink) {
        s = bg;
        e = bg === -1 ? BIG : bg + 1;
        squeeze.push(i);
      }
      if (!shrink && (bm >> i) & 1 && (em >> i) & 1 && st === 1) return; // whole axis
      starts.push(s);
      ends.push(e);
      axes.push(i);
      steps.push(shrink ? 1 : st);
    });
    let y = axes.length ? b.slice(x, starts, ends, axes, steps, squeeze.length ? `${n.name}/slice` : n.name) : x;
    if (squeeze.length) y = b.squeeze(y, squeeze, n.name);
    return y;
  };

  const consumed = new Set(nodes.flatMap((n) => (n.input ?? []).map(ref)));
  const outs = outputNames?.length ? outputNames.map((o) => ref(o)) : nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const').map((n) => n.name);
  // Placeholders first so the graph input comes first whatever the node order
  for (const n of nodes) if (n.op === 'Placeholder') convert(n, n.name);
  return outs.map((o) => convert(byName.get(o), o));
}
