import { create } from '@bufbuild/protobuf';
import { LumenError } from '../errors.js';
import { OnnxGraph, type Dim } from '../onnx/graph.js';
import { broadcastDims } from '../onnx/shapes.js';
import { ModelProtoSchema, GraphProtoSchema, OperatorSetIdProtoSchema, StringStringEntryProtoSchema, type ModelProto, type TensorProto } from '../onnx/proto.js';
import type { AttrMap } from '../onnx/attributes.js';
import { makeTensorProto } from '../onnx/tensor-proto.js';

/** Opset of the converted graphs (Squeeze/Unsqueeze axes as inputs, Reduce* axes as attributes). */
export const IMPORT_OPSET = 13;

/**
 * A converted tensor. `shape` is its shape as TensorFlow sees it (channels last; -1 where unknown). A 4-D tensor
 * may be stored channels first (`nchw`): convolutions, pools and the element-wise ops between them stay in ONNX's
 * NCHW, and a Transpose back to TensorFlow's order is only inserted where an op depends on the axis order
 * (Reshape, Flatten, slicing…), as tf2onnx's transpose optimizer leaves its graphs. The model's input stays NHWC.
 */
export interface Value {
  name: string;
  shape: number[];
  nchw: boolean;
  /** Known values (weights and shape constants), in TensorFlow order. */
  constant?: Float32Array | Int32Array;
  int?: boolean;
}

export type Padding = 'SAME' | 'VALID' | number[][];

export interface ConvSpec {
  /** Kernel in TensorFlow order: [kh, kw, in, out], or [kh, kw, in, multiplier] when `depthwise`. */
  kernel: Float32Array;
  kernelShape: number[];
  bias?: Float32Array;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
  depthwise: boolean;
}

export type Activation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'softmax' | 'elu' | 'leakyrelu' | 'softplus' | 'swish' | 'hard_sigmoid' | 'selu' | 'gelu';

export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

/** The ONNX graph a converter writes into, with the channel-order bookkeeping of `Value`. */
export class GraphBuilder {
  readonly g: OnnxGraph;
  private readonly transposed = new Map<string, Value>();
  private readonly used = new Set<string>();
  /** Constants are written when a node first reads them (weights that get transposed are never written as read). */
  private readonly pending = new Map<string, TensorProto>();

  constructor(producer: string) {
    const model: ModelProto = create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: producer,
      opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(IMPORT_OPSET) })],
      graph: create(GraphProtoSchema, { name: 'imported' }),
    });
    this.g = new OnnxGraph(model);
  }

  get model(): ModelProto {
    return this.g.model;
  }

  setMetadata(key: string, value: string): void {
    this.g.model.metadataProps.push(create(StringStringEntryProtoSchema, { key, value }));
  }

  /** A tensor name derived from a TensorFlow name, unique in the graph. */
  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  input(name: string, shape: number[]): Value {
    const n = this.name(name);
    this.g.addInput(n, shape.map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : ['batch', 'height', 'width', 'channels'][i] ?? `d${i}`)));
    const v: Value = { name: n, shape, nchw: false };
    // an image input goes channels-first at once: that first Transpose is also what tells Lumen (src/layout.ts) the
    // file is NHWC, whatever its sizes, and ONNX Runtime cancels it against the one Lumen puts in front
    return shape.length === 4 ? this.nchw(v) : v;
  }

  output(v: Value): string {
    const t = this.tf(v);
    this.g.addOutput(t.name, t.shape.map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : `d${i}`)));
    return t.name;
  }

  constant(values: Float32Array | Int32Array, shape: number[], name = 'const'): Value {
    const n = this.name(name);
    const t = values instanceof Int32Array ? BigInt64Array.from(values, (x) => BigInt(x)) : values;
    this.pending.set(n, makeTensorProto(n, t, shape));
    return { name: n, shape: [...shape], nchw: false, constant: values, int: values instanceof Int32Array };
  }

  private int64(values: readonly number[], name: string): string {
    return this.constant(Int32Array.from(values), [values.length], name).name;
  }

  private node(op: string, inputs: string[], out: string, attrs: AttrMap = {}): string {
    for (const i of inputs) {
      const t = this.pending.get(i);
      if (t) {
        this.g.setInitializer(t);
        this.pending.delete(i);
      }
    }
    this.g.addNode(op, inputs, [out], attrs);
    return out;
  }

  /** The tensor in TensorFlow's axis order. */
  tf(v: Value): Value {
    if (!v.nchw) return v;
    let t = this.transposed.get(v.name);
    if (!t) {
      t = { name: this.node('Transpose', [v.name], this.name(`${v.name}__nhwc`), { perm: { ints: TO_NHWC } }), shape: v.shape, nchw: false };
      this.transposed.set(v.name, t);
    }
    return t;
  }

  /** A 4-D tensor stored channels first. */
  nchw(v: Value): Value {
    if (v.nchw) return v;
    if (v.shape.length !== 4) throw new Error(`internal: nchw() of a rank-${v.shape.length} tensor`);
    if (v.constant && !v.int) {
      const c = this.constant(transpose(v.constant as Float32Array, v.shape, TO_NCHW), TO_NCHW.map((p) => v.shape[p]!), `${v.name}_nchw`);
      return { name: c.name, shape: v.shape, nchw: true };
    }
    let t = this.transposed.get(v.name);
    if (!t) {
      t = { name: this.node('Transpose', [v.name], this.name(`${v.name}__nchw`), { perm: { ints: TO_NCHW } }), shape: v.shape, nchw: true };
      this.transposed.set(v.name, t);
    }
    return t;
  }

  conv(x: Value, spec: ConvSpec, name: string): Value {
    const [kh, kw, ci, co] = spec.kernelShape as [number, number, number, number];
    const xin = this.nchw(x);
    const inC = x.shape[3]!;
    if (inC >= 0 && inC !== ci) throw new LumenError('UNSUPPORTED_MODEL', `${name}: kernel expects ${ci} input channels, the input has ${inC}`);
    const outC = spec.depthwise ? ci * co : co;
    // TF kernels are [kh, kw, in, out]; ONNX's are [out, in/group, kh, kw] (depthwise: out = in·multiplier, group = in)
    const w = new Float32Array(outC * (spec.depthwise ? 1 : ci) * kh * kw);
    for (let h = 0; h < kh; h++) {
      for (let x2 = 0; x2 < kw; x2++) {
        for (let i = 0; i < ci; i++) {
          for (let o = 0; o < co; o++) {
            const src = spec.kernel[((h * kw + x2) * ci + i) * co + o]!;
            if (spec.depthwise) w[((i * co + o) * kh + h) * kw + x2] = src;
            else w[((o * ci + i) * kh + h) * kw + x2] = src;
          }
        }
      }
    }
    const wName = this.constant(w, [outC, spec.depthwise ? 1 : ci, kh, kw], `${name}/kernel`).name;
    const inputs = [xin.name, wName];
    if (spec.bias) inputs.push(this.constant(spec.bias, [outC], `${name}/bias`).name);
    const [pads, outH, outW] = this.pads(x.shape, [kh, kw], spec.strides, spec.dilations, spec.padding);
    const attrs: AttrMap = { kernel_shape: { ints: [kh, kw] }, strides: { ints: spec.strides }, dilations: { ints: spec.dilations } };
    if (pads) attrs.pads = { ints: pads };
    else attrs.auto_pad = { s: 'SAME_UPPER' };
    if (spec.depthwise) attrs.group = { i: ci };
    const out = this.node('Conv', inputs, this.name(name), attrs);
    return { name: out, shape: [x.shape[0]!, outH, outW, outC], nchw: true };
  }

  /**
   * ONNX pads [top, left, bottom, right] for TensorFlow's padding, and the output size. SAME puts the odd pixel at the
   * end (ONNX's SAME_UPPER); with an unknown input size the pads are left to ONNX's auto_pad (undefined).
   */
  private pads(shape: number[], k: [number, number], s: [number, number], d: [number, number], padding: Padding): [number[] | undefined, number, number] {
    const out: number[] = [];
    const before: number[] = [];
    const after: number[] = [];
    let known = true;
    for (let a = 0; a < 2; a++) {
      const n = shape[a + 1]!;
      const ext = (k[a]! - 1) * d[a]! + 1;
      if (Array.isArray(padding)) {
        const [b, e] = padding[a]!;
        before.push(b!);
        after.push(e!);
        out.push(n < 0 ? -1 : Math.floor((n + b! + e! - ext) / s[a]!) + 1);
      } else if (padding === 'VALID') {
        before.push(0);
        after.push(0);
        out.push(n < 0 ? -1 : Math.floor((n - ext) / s[a]!) + 1);
      } else {
        if (n < 0) {
          known = false;
          out.push(-1);
          continue;
        }
        const o = Math.ceil(n / s[a]!);
        const total = Math.max((o - 1) * s[a]! + ext - n, 0);
        before.push(Math.floor(total / 2));
        after.push(total - Math.floor(total / 2));
        out.push(o);
      }
    }
    return [known ? [...before, ...after] : undefined, out[0]!, out[1]!];
  }

  pool(x: Value, kind: 'max' | 'avg', k: [number, number], s: [number, number], padding: 'SAME' | 'VALID', name: string): Value {
    const xin = this.nchw(x);
    const [pads, outH, outW] = this.pads(x.shape, k, s, [1, 1], padding);
    const attrs: AttrMap = { kernel_shape: { ints: k }, strides: { ints: s } };
    if (pads) attrs.pads = { ints: pads };
    else attrs.auto_pad = { s: 'SAME_UPPER' };
    // TF's average pool divides by the pixels inside the image (ONNX's count_include_pad = 0, the default)
    const out = this.node(kind === 'max' ? 'MaxPool' : 'AveragePool', [xin.name], this.name(name), attrs);
    return { name: out, shape: [x.shape[0]!, outH, outW, x.shape[3]!], nchw: true };
  }

  activation(x: Value, kind: Activation, name: string, alpha = 0.2): Value {
    const unary = (op: string, attrs: AttrMap = {}): Value => ({ ...x, name: this.node(op, [x.name], this.name(name), attrs), constant: undefined });
    switch (kind) {
      case 'linear': return x;
      case 'relu': return unary('Relu');
      case 'sigmoid': return unary('Sigmoid');
      case 'tanh': return unary('Tanh');
      case 'elu': return unary('Elu', { alpha: { f: 1 } });
      case 'selu': return unary('Selu');
      case 'softplus': return unary('Softplus');
      case 'leakyrelu': return unary('LeakyRelu', { alpha: { f: alpha } });
      case 'hard_sigmoid': return unary('HardSigmoid', { alpha: { f: 0.2 }, beta: { f: 0.5 } });
      case 'relu6': {
        const lo = this.constant(Float32Array.of(0), [], `${name}/min`).name;
        const hi = this.constant(Float32Array.of(6), [], `${name}/max`).name;
        return { ...x, name: this.node('Clip', [x.name, lo, hi], this.name(name)), constant: undefined };
      }
      case 'swish': {
        const sig = this.node('Sigmoid', [x.name], this.name(`${name}/sigmoid`));
        return { ...x, name: this.node('Mul', [x.name, sig], this.name(name)), constant: undefined };
      }
      case 'gelu': {
        // Keras' default gelu is the exact (erf) form: x·½(1 + erf(x/√2))
        const r = this.node('Div', [x.name, this.constant(Float32Array.of(Math.SQRT2), [], `${name}/sqrt2`).name], this.name(`${name}/scaled`));
        const e = this.node('Erf', [r], this.name(`${name}/erf`));
        const p = this.node('Add', [e, this.constant(Float32Array.of(1), [], `${name}/one`).name], this.name(`${name}/plus1`));
        const m = this.node('Mul', [x.name, p], this.name(`${name}/xp`));
        return { ...x, name: this.node('Mul', [m, this.constant(Float32Array.of(0.5), [], `${name}/half`).name], this.name(name)), constant: undefined };
      }
      case 'softmax': return this.softmax(x, -1, name);
    }
  }

  softmax(x: Value, axis: number, name: string): Value {
    const r = x.shape.length;
    const a = axis < 0 ? axis + r : axis;
    if (x.nchw) return { ...x, name: this.node('Softmax', [x.name], this.name(name), { axis: { i: TO_NCHW.indexOf(a) } }) };
    return { ...x, name: this.node('Softmax', [x.name], this.name(name), { axis: { i: a } }), constant: undefined };
  }

  /** Element-wise binary op with NumPy broadcasting (TF semantics), keeping channels-first storage where it can. */
  binary(op: 'Add' | 'Sub' | 'Mul' | 'Div' | 'Min' | 'Max', a: Value, b: Value, name: string): Value {
    const shape = broadcastShape(a.shape, b.shape, name);
    if (shape.length === 4 && (a.nchw || b.nchw)) {
      const [x, y] = [this.asNchwOperand(a), this.asNchwOperand(b)];
      return { name: this.node(op, [x.name, y.name], this.name(name)), shape, nchw: true };
    }
    const [x, y] = [this.tf(a), this.tf(b)];
    return { name: this.node(op, [x.name, y.name], this.name(name)), shape, nchw: false };
  }

  /** An operand broadcast against a channels-first 4-D tensor: constants of rank < 4 are reshaped to rank 4 first. */
  private asNchwOperand(v: Value): Value {
    if (v.shape.length === 4) return this.nchw(v);
    if (v.constant) {
      const shape4 = [...Array<number>(4 - v.shape.length).fill(1), ...v.shape];
      return this.nchw({ ...v, shape: shape4 });
    }
    const shape4 = [...Array<number>(4 - v.shape.length).fill(1), ...v.shape];
    const axes = this.int64(Array.from({ length: 4 - v.shape.length }, (_, i) => i), `${v.name}/axes`);
    const u: Value = { name: this.node('Unsqueeze', [v.name, axes], this.name(`${v.name}__4d`)), shape: shape4, nchw: false };
    return this.nchw(u);
  }

  /** y = x·scale + offset per channel (folded batch normalization, Rescaling, Normalization). */
  affine(x: Value, scale: Float32Array | undefined, offset: Float32Array | undefined, name: string): Value {
    let y = x;
    const c = x.shape[x.shape.length - 1]!;
    const shapeOf = (v: Float32Array): number[] => (v.length === 1 ? [] : [c]);
    if (scale) y = this.binary('Mul', y, this.constant(scale, shapeOf(scale), `${name}/scale`), offset ? `${name}/mul` : name);
    if (offset) y = this.binary('Add', y, this.constant(offset, shapeOf(offset), `${name}/offset`), name);
    return y;
  }

  /** ReduceMean / ReduceMax over TensorFlow axes. */
  reduce(op: 'ReduceMean' | 'ReduceMax', x: Value, axes: number[], keepDims: boolean, name: string): Value {
    const r = x.shape.length;
    const ax = [...new Set(axes.map((a) => (a < 0 ? a + r : a)))].sort((p, q) => p - q);
    const shape = keepDims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
    // channels-first storage gives the same result when the remaining axes keep their order (e.g. H, W of NHWC)
    if (x.nchw && (keepDims || (ax.length === 2 && ax[0] === 1 && ax[1] === 2))) {
      const out = this.node(op, [x.name], this.name(name), { axes: { ints: ax.map((a) => TO_NCHW.indexOf(a)) }, keepdims: { i: keepDims ? 1 : 0 } });
      return { name: out, shape, nchw: keepDims };
    }
    const t = this.tf(x);
    return { name: this.node(op, [t.name], this.name(name), { axes: { ints: ax }, keepdims: { i: keepDims ? 1 : 0 } }), shape, nchw: false };
  }

  concat(xs: Value[], axis: number, name: string): Value {
    const r = xs[0]!.shape.length;
    const a = axis < 0 ? axis + r : axis;
    const shape = xs[0]!.shape.map((d, i) => (i === a ? (xs.some((x) => x.shape[a]! < 0) ? -1 : xs.reduce((s, x) => s + x.shape[a]!, 0)) : d));
    if (r === 4 && xs.some((x) => x.nchw)) {
      const ins = xs.map((x) => this.nchw(x).name);
      return { name: this.node('Concat', ins, this.name(name), { axis: { i: TO_NCHW.indexOf(a) } }), shape, nchw: true };
    }
    return { name: this.node('Concat', xs.map((x) => this.tf(x).name), this.name(name), { axis: { i: a } }), shape, nchw: false };
  }

  /** Zero padding; `pads[i]` = [before, after] of TensorFlow axis i. */
  pad(x: Value, pads: number[][], name: string): Value {
    const shape = x.shape.map((d, i) => (d < 0 ? -1 : d + pads[i]![0]! + pads[i]![1]!));
    const src = x.nchw ? x : this.tf(x);
    const order = x.nchw ? TO_NCHW : x.shape.map((_, i) => i);
    const p = [...order.map((i) => pads[i]![0]!), ...order.map((i) => pads[i]![1]!)];
    return { name: this.node('Pad', [src.name, this.int64(p, `${name}/pads`)], this.name(name)), shape, nchw: x.nchw };
  }

  /** The tensor in TensorFlow's memory order: a 1×1 feature map needs no Transpose (NCHW and NHWC coincide). */
  private tfOrder(x: Value): Value {
    return x.nchw && x.shape[1] === 1 && x.shape[2] === 1 ? { ...x, nchw: false } : this.tf(x);
  }

  reshape(x: Value, target: number[], name: string): Value {
    const t = this.tfOrder(x);
    // ONNX Reshape: 0 copies the input's dimension, -1 is inferred
    const dims = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
    const known = x.shape.every((d) => d >= 0) ? x.shape.reduce((p, d) => p * d, 1) : -1;
    const rest = dims.reduce((p, d) => (d >= 0 ? p * d : p), 1);
    const shape = dims.map((d) => (d >= 0 ? d : known >= 0 && rest > 0 ? known / rest : -1));
    return { name: this.node('Reshape', [t.name, this.int64(target, `${name}/shape`)], this.name(name)), shape, nchw: false };
  }

  transpose(x: Value, perm: number[], name: string): Value {
    const t = this.tf(x);
    return { name: this.node('Transpose', [t.name], this.name(name), { perm: { ints: perm } }), shape: perm.map((p) => x.shape[p]!), nchw: false };
  }

  squeeze(x: Value, axes: number[], name: string): Value {
    const r = x.shape.length;
    const ax = axes.length ? axes.map((a) => (a < 0 ? a + r : a)) : x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    if (!axes.length && x.shape.some((d, i) => d < 0 && i > 0)) throw new LumenError('UNSUPPORTED_MODEL', `${name}: Squeeze without axes on a tensor of unknown shape [${x.shape.join(', ')}]`);
    const shape = x.shape.filter((_, i) => !ax.includes(i));
    // squeezing H and W of a 1×1 feature map: the channels-first tensor gives the same [N, C]
    if (x.nchw && ax.length === 2 && ax.includes(1) && ax.includes(2)) {
      return { name: this.node('Squeeze', [x.name, this.int64([2, 3], `${name}/axes`)], this.name(name)), shape, nchw: false };
    }
    const t = this.tf(x);
    return { name: this.node('Squeeze', [t.name, this.int64(ax, `${name}/axes`)], this.name(name)), shape, nchw: false };
  }

  unsqueeze(x: Value, axis: number, name: string): Value {
    const t = this.tf(x);
    const r = x.shape.length + 1;
    const a = axis < 0 ? axis + r : axis;
    const shape = [...x.shape];
    shape.splice(a, 0, 1);
    return { name: this.node('Unsqueeze', [t.name, this.int64([a], `${name}/axes`)], this.name(name)), shape, nchw: false };
  }

  slice(x: Value, starts: number[], ends: number[], axes: number[], steps: number[], name: string): Value {
    const t = this.tf(x);
    const shape = x.shape.map((d, i) => {
      const k = axes.indexOf(i);
      if (k < 0) return d;
      if (d < 0) return -1;
      const clampIdx = (v: number, step: number): number => {
        const w = v < 0 ? v + d : v;
        return step > 0 ? Math.min(Math.max(w, 0), d) : Math.min(Math.max(w, -1), d - 1);
      };
      const st = steps[k]!;
      const b = clampIdx(starts[k]!, st);
      const e = clampIdx(ends[k]!, st);
      return Math.max(0, Math.ceil((e - b) / st));
    });
    const ins = [t.name, this.int64(starts, `${name}/starts`), this.int64(ends, `${name}/ends`), this.int64(axes, `${name}/axes`), this.int64(steps, `${name}/steps`)];
    return { name: this.node('Slice', ins, this.name(name)), shape, nchw: false };
  }

  /** [N, K] × [K, M] (+ bias): a Gemm, so that Lumen finds the logits layer as for exported classifiers. */
  dense(x: Value, kernel: Float32Array, kernelShape: [number, number], bias: Float32Array | undefined, name: string, transB = false): Value {
    const t = this.tf(x);
    const [k, m] = transB ? [kernelShape[1], kernelShape[0]] : kernelShape;
    if (x.shape[x.shape.length - 1]! >= 0 && x.shape[x.shape.length - 1] !== k) {
      throw new LumenError('UNSUPPORTED_MODEL', `${name}: the kernel expects ${k} inputs, the input has shape [${x.shape.join(', ')}]`);
    }
    const w = this.constant(kernel, kernelShape, `${name}/kernel`).name;
    if (x.shape.length === 2) {
      const ins = [t.name, w];
      if (bias) ins.push(this.constant(bias, [m], `${name}/bias`).name);
      return { name: this.node('Gemm', ins, this.name(name), { transB: { i: transB ? 1 : 0 } }), shape: [x.shape[0]!, m], nchw: false };
    }
    if (transB) throw new LumenError('UNSUPPORTED_MODEL', `${name}: a transposed MatMul on a rank-${x.shape.length} input is not supported`);
    const shape = [...x.shape.slice(0, -1), m];
    const mm = this.node('MatMul', [t.name, w], this.name(bias ? `${name}/matmul` : name));
    if (!bias) return { name: mm, shape, nchw: false };
    return { name: this.node('Add', [mm, this.constant(bias, [m], `${name}/bias`).name], this.name(name)), shape, nchw: false };
  }

  /**
   * Nearest or bilinear upsampling by integer factors (Keras UpSampling2D), as TF.js computes it: its bilinear mode is
   * resizeBilinear without half-pixel centers (source = destination / scale, ONNX's 'asymmetric').
   */
  upsample(x: Value, size: [number, number], interpolation: 'nearest' | 'bilinear', name: string): Value {
    const xin = this.nchw(x);
    const scales = this.constant(Float32Array.of(1, 1, size[0], size[1]), [4], `${name}/scales`).name;
    const attrs: AttrMap = interpolation === 'nearest'
      ? { mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } }
      : { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'asymmetric' } };
    const out = this.node('Resize', [xin.name, '', scales], this.name(name), attrs);
    const s = x.shape;
    return { name: out, shape: [s[0]!, s[1]! < 0 ? -1 : s[1]! * size[0], s[2]! < 0 ? -1 : s[2]! * size[1], s[3]!], nchw: true };
  }

  prelu(x: Value, alpha: Float32Array, alphaShape: number[], name: string): Value {
    const a = this.constant(alpha, alphaShape, `${name}/alpha`);
    if (x.shape.length === 4 && x.nchw) {
      const y = this.asNchwOperand(a);
      return { ...x, name: this.node('PRelu', [x.name, y.name], this.name(name)) };
    }
    return { ...this.tf(x), name: this.node('PRelu', [this.tf(x).name, a.name], this.name(name)) };
  }

  identity(x: Value): Value {
    return x;
  }
}


/** NumPy broadcasting of TF shapes (-1 = unknown), by the shape inference's rule. */
export function broadcastShape(a: number[], b: number[], name: string): number[] {
  const sym = (d: number): Dim => (d < 0 ? '?' : d);
  try {
    return broadcastDims(a.map(sym), b.map(sym)).map((d) => (typeof d === 'number' ? d : -1));
  } catch {
    throw new LumenError('UNSUPPORTED_MODEL', `${name}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
}

/** Transpose a dense row-major array of `shape` by `perm`. */
export function transpose(values: Float32Array, shape: number[], perm: number[]): Float32Array {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const strides = new Array<number>(r).fill(1);
  for (let i = r - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  const out = new Float32Array(values.length);
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < values.length; o++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += idx[i]! * strides[perm[i]!]!;
    out[o] = values[src]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

