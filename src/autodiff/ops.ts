import type { AttrMap } from '../onnx/attributes.js';
import type { Dim, OnnxGraph } from '../onnx/graph.js';
import { TensorProto_DataType } from '../onnx/proto.js';

/**
 * Node builders that hide opset differences (axes as attribute or input) and common gradient idioms.
 * Every method appends nodes to the graph and returns the output tensor name.
 */
export class GraphOps {
  private readonly shapeCache = new Map<string, string>();
  private readonly scalarCache = new Map<number, string>();
  private readonly affineCache = new Map<string, string[]>();
  private readonly blockedCache = new Map<string, string>();

  constructor(
    readonly graph: OnnxGraph,
    readonly opset: number,
  ) {}

  op(opType: string, inputs: readonly string[], attrs: AttrMap = {}): string {
    return this.graph.op(opType, inputs, attrs);
  }

  /** A float32 scalar constant (shared per value). */
  scalar(value: number): string {
    let s = this.scalarCache.get(value);
    if (!s) {
      s = this.graph.scalar(value);
      this.scalarCache.set(value, s);
    }
    return s;
  }

  constant(values: Float32Array | number[], dims: readonly number[]): string {
    return this.graph.addInitializer(values instanceof Float32Array ? values : Float32Array.from(values), dims);
  }

  int64s(values: readonly number[]): string {
    return this.graph.int64s(values);
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }

  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }

  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }

  neg(a: string): string {
    return this.op('Neg', [a]);
  }

  scale(a: string, k: number): string {
    return k === 1 ? a : this.mul(a, this.scalar(k));
  }

  /** Where(cond, a, b). */
  where(cond: string, a: string, b: string): string {
    return this.op('Where', [cond, a, b]);
  }

  /** grad where mask else 0 (a float multiply: about twice as fast as Where with a broadcast scalar in ORT). */
  mask(cond: string, grad: string): string {
    return this.mul(grad, this.toFloat(cond));
  }

  /**
   * The ReLU / ReLU6 gradient mask [lo < y < hi] of a clipped tensor y ∈ [0, hi] (hi optional), built only from ops
   * ORT keeps in its blocked NCHWc conv layout (per-channel affine as BatchNormalization, Relu, Add), so the
   * gradient never leaves that layout around a ReLU (a Greater/Cast mask reorders y and the gradient at every one).
   * With B = 2¹⁰⁰: [y = 0] = Relu(1 − B·y) and [y = hi] = Relu(1 − B·(hi − y)), exact for y = 0, y = hi and every
   * y at least 2⁻¹⁰⁰ away from both (hi − y is exact near hi); the mask is 1 minus those. Needs static channels.
   */
  clippedStep(y: string, channels: number, hi?: number): string {
    const B = 2 ** 100;
    let stuck = this.relu(this.channelAffine(y, channels, -B, 1));
    if (hi !== undefined) {
      const atTop = this.relu(this.channelAffine(this.channelAffine(y, channels, -1, hi), channels, -B, 1));
      stuck = this.add(stuck, atTop);
    }
    return this.channelAffine(stuck, channels, -1, 1);
  }

  /** a·x + b per channel of an [N, C, …] tensor, as BatchNormalization (mean 0, var 1, epsilon 0). */
  channelAffine(x: string, channels: number, a: number, b: number): string {
    const key = `${channels}:${a}:${b}`;
    let params = this.affineCache.get(key);
    if (!params) {
      params = [this.constant(new Float32Array(channels).fill(a), [channels]), this.constant(new Float32Array(channels).fill(b), [channels]), this.constant(new Float32Array(channels), [channels]), this.constant(new Float32Array(channels).fill(1), [channels])];
      this.affineCache.set(key, params);
    }
    return this.op('BatchNormalization', [x, ...params], { epsilon: { f: 0 } });
  }

  /**
   * x·k per channel as a depthwise 1×1 Conv of an [N, C, h, w] tensor: the same numbers as Mul by k, but ORT turns
   * a Conv into its blocked (NCHWc) layout, so the element-wise gradient ops after it stay in that layout instead of
   * reordering every tensor back and forth.
   */
  blockedScale(x: string, channels: number, k = 1): string {
    const key = `${channels}:${k}`;
    let w = this.blockedCache.get(key);
    if (!w) {
      w = this.constant(new Float32Array(channels).fill(k), [channels, 1, 1, 1]);
      this.blockedCache.set(key, w);
    }
    return this.op('Conv', [x, w], { group: { i: channels }, kernel_shape: { ints: [1, 1] } });
  }

  relu(x: string): string {
    return this.op('Relu', [x]);
  }

  greater(a: string, b: string): string {
    return this.op('Greater', [a, b]);
  }

  less(a: string, b: string): string {
    return this.op('Less', [a, b]);
  }

  and(a: string, b: string): string {
    return this.op('And', [a, b]);
  }

  shapeOf(x: string): string {
    let s = this.shapeCache.get(x);
    if (!s) {
      s = this.op('Shape', [x]);
      this.shapeCache.set(x, s);
    }
    return s;
  }

  zerosLike(x: string): string {
    return this.op('ConstantOfShape', [this.shapeOf(x)]);
  }

  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.shapeOf(like)]);
  }

  expandLike(x: string, like: string): string {
    return this.op('Expand', [x, this.shapeOf(like)]);
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm: { ints: perm } });
  }

  cast(x: string, to: TensorProto_DataType): string {
    return this.op('Cast', [x], { to: { i: to } });
  }

  toFloat(x: string): string {
    return this.cast(x, TensorProto_DataType.FLOAT);
  }

  /** Reduce* with axes as attribute or input depending on the op and opset. Empty axes: x unchanged. */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x; // never emit empty axes: ONNX would reduce everything
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput) return this.op(op, [x, this.int64s(axes)], { keepdims: { i: keepdims ? 1 : 0 } });
    return this.op(op, [x], { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } });
  }

  reduceSum(x: string, axes: readonly number[], keepdims = true): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    if (axes.length === 0) return x;
    if (this.opset >= 13) return this.op('Unsqueeze', [x, this.int64s(axes)]);
    return this.op('Unsqueeze', [x], { axes: { ints: axes } });
  }

  squeeze(x: string, axes: readonly number[]): string {
    if (axes.length === 0) return x;
    if (this.opset >= 13) return this.op('Squeeze', [x, this.int64s(axes)]);
    return this.op('Squeeze', [x], { axes: { ints: axes } });
  }

  /**
   * Sum a gradient of a broadcast result (shape `outShape`) back to an operand's shape `inShape`
   * (numpy broadcasting: leading axes added, size-1 axes stretched).
   */
  unbroadcast(grad: string, outShape: readonly Dim[], inShape: readonly Dim[]): string {
    const lead = outShape.length - inShape.length;
    const stretched: number[] = [];
    for (let i = 0; i < inShape.length; i++) {
      if (inShape[i] === 1 && outShape[i + lead] !== 1) stretched.push(i + lead);
    }
    let g = this.reduceSum(grad, stretched, true);
    if (lead > 0) g = this.reduceSum(g, Array.from({ length: lead }, (_, i) => i), false);
    return g;
  }
}
