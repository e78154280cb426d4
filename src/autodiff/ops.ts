import type { AttrMap } from '../onnx/attributes.js';
import type { Dim, OnnxGraph } from '../onnx/graph.js';
import { TensorProto_DataType } from '../onnx/proto.js';
import { axesInputSince } from './registry.js';
// the op traits (reduce() reads a Reduce* op's axesInputSince) are registered before any graph is built
import './rules/index.js';

/**
 * Node builders that hide opset differences (axes as attribute or input) and common gradient idioms.
 * Every method appends nodes to the graph and returns the output tensor name.
 */
export class GraphOps {
  private readonly shapeCache = new Map<string, string>();
  private readonly scalarCache = new Map<number, string>();
  private readonly affineCache = new Map<string, string[]>();

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

  /** Element-wise ops of two tensors (NumPy broadcasting), one node each. */
  readonly add = this.binary('Add');
  readonly sub = this.binary('Sub');
  readonly mul = this.binary('Mul');
  readonly div = this.binary('Div');
  readonly greater = this.binary('Greater');
  readonly less = this.binary('Less');
  readonly and = this.binary('And');

  private binary(opType: string): (a: string, b: string) => string {
    return (a, b) => this.op(opType, [a, b]);
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
   * The ReLU / ReLU6 gradient mask [0 < y < hi] of a clipped tensor y ∈ [0, hi] (hi optional), built only from ops
   * ORT fuses into its blocked NCHWc convolutions (a depthwise 1×1 Conv followed by Clip), so the gradient never
   * leaves that layout around a ReLU (a Greater/Cast mask reorders y and the gradient at every one). With B = 2¹⁰⁰:
   * [y > 0] = Clip(B·y, 0, 1) and [y < hi] = Clip(B·hi − B·y, 0, 1). Both are exact at y = 0 and y = hi (B·(hi − y)
   * is exact near hi) and for every y at least 2⁻¹⁰⁰ away from them. Needs a static channel count.
   */
  clippedStep(y: string, channels: number, hi?: number): string {
    const B = 2 ** 100;
    const above = this.unitClip(this.depthwiseAffine(y, channels, B, 0));
    if (hi === undefined) return above;
    return this.mul(above, this.unitClip(this.depthwiseAffine(y, channels, -B, Math.fround(hi) * B)));
  }

  /** a·x + b per channel of an [N, C, h, w] tensor, as a depthwise 1×1 Conv (ORT fuses a following activation). */
  depthwiseAffine(x: string, channels: number, a: number, b: number): string {
    const key = `${channels}:${a}:${b}`;
    let params = this.affineCache.get(key);
    if (!params) {
      params = [this.constant(new Float32Array(channels).fill(a), [channels, 1, 1, 1]), this.constant(new Float32Array(channels).fill(b), [channels])];
      this.affineCache.set(key, params);
    }
    return this.op('Conv', [x, ...params], { group: { i: channels }, kernel_shape: { ints: [1, 1] } });
  }

  /** Clip(x, 0, 1) at the graph's opset. */
  unitClip(x: string): string {
    if (this.opset >= 11) return this.op('Clip', [x, this.scalar(0), this.scalar(1)]);
    return this.op('Clip', [x], { min: { f: 0 }, max: { f: 1 } });
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

  /** Reduce* with axes as attribute or input depending on the opset (the op's `axesInputSince` trait). Empty axes: x unchanged. */
  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x; // never emit empty axes: ONNX would reduce everything
    const axesAsInput = this.opset >= axesInputSince(op);
    if (axesAsInput) return this.op(op, [x, this.int64s(axes)], { keepdims: { i: keepdims ? 1 : 0 } });
    return this.op(op, [x], { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } });
  }

  reduceSum(x: string, axes: readonly number[], keepdims = true): string {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.withAxes('Unsqueeze', x, axes);
  }

  squeeze(x: string, axes: readonly number[]): string {
    return this.withAxes('Squeeze', x, axes);
  }

  /** Squeeze / Unsqueeze: axes as an input from opset 13, an attribute before. Empty axes: x unchanged. */
  private withAxes(opType: 'Squeeze' | 'Unsqueeze', x: string, axes: readonly number[]): string {
    if (axes.length === 0) return x;
    if (this.opset >= 13) return this.op(opType, [x, this.int64s(axes)]);
    return this.op(opType, [x], { axes: { ints: axes } });
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
