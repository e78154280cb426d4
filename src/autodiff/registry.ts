import { LumenError } from '../errors.js';
import type { NodeProto } from '../onnx/proto.js';
import type { FoldRule, ShapeContext } from '../onnx/shapes.js';
import type { GradientRule } from './types.js';

/**
 * What Lumen knows about an ONNX op type, in one record per op (zennit's `types`): declared beside the op's
 * vector-Jacobian rule (src/autodiff/rules/<op>.ts; ops without a rule in rules/no-gradient.ts and
 * rules/forward-only.ts) and read by every consumer — the builder, the LRP and DeepLIFT rule sets, float64
 * conversion, static shape inference and value folding, layouts, the model's head detection, Classic CAM's head,
 * model randomization and CRAFT's layer suggestion — instead of lists of their own (test/autodiff/op-traits.test.ts checks they are complete).
 */
export type OpKind =
  /** Weighted sum of the data input: Conv, ConvTranspose, Gemm, MatMul, Einsum. */
  | 'linear'
  /** Element-wise non-linearity of one tensor, as a network layer (Relu, Gelu, Sigmoid, …). */
  | 'activation'
  /** Other element-wise functions (Exp, Log, Erf, Pow, Neg, …). */
  | 'math'
  /** Element-wise arithmetic of several tensors: Add, Sub, Mul, Div, Sum, Mean, Max, Min, Where. */
  | 'arithmetic'
  /** MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, GlobalLpPool. */
  | 'pool'
  /** BatchNormalization, LayerNormalization, InstanceNormalization, LRN, Softmax, LogSoftmax. */
  | 'normalization'
  /** Reduce* ops. */
  | 'reduction'
  /** Rearranges values without computing or selecting: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Identity, Dropout. */
  | 'shape-only'
  /** Selects, copies or converts values: Slice, Gather, Concat, Split, Pad, Tile, Expand, Scatter*, Resize, Cast. */
  | 'data'
  /** Runs a subgraph: If, Loop, Scan (forward-only; their outputs' types and shapes are left unknown). */
  | 'control-flow'
  /** Outputs carry no gradient (shape arithmetic, comparisons, indices, random numbers): the builder never walks through. */
  | 'no-gradient';

/**
 * How the LRP rule sets (src/autodiff/rulesets/lrp.ts) treat the op:
 * - 'conv-layer' / 'dense-layer': the composite's layer rule for convolutions (Conv) or for dense layers (Gemm, MatMul)
 *   — ε, γ, αβ, flat, w², ZBox; the input layer's rule where the composite has one;
 * - 'pass': relevance passes unchanged (zennit Pass) — ReLU-like activations;
 * - 'pool': the composite's pool rule if it has one (Captum: ε), else the plain gradient;
 * - 'average-pool': like 'pool', and zennit's Norm under composites that have it;
 * - 'sum': zennit's Norm under composites that have it (a residual Add splits relevance by contribution);
 * - 'batch-norm': the composite's BatchNormalization rule;
 * - 'product': a Mul by a gate gives the gate no relevance (Arras et al. 2017), any other Mul keeps its gradient;
 * - 'contraction': the plain gradient, refused for a product of two activations (attention Einsum);
 * - 'plain': the plain gradient (relevance at the model input where the op consumes it).
 * An op without `lrp` has no LRP treatment: LRP refuses it with an error naming the op and the node.
 */
export type LrpTreatment = 'conv-layer' | 'dense-layer' | 'pass' | 'pool' | 'average-pool' | 'sum' | 'batch-norm' | 'product' | 'contraction' | 'plain';

/**
 * How the DeepLIFT rule sets (src/autodiff/rulesets/deeplift.ts) treat the op:
 * - 'rescale': Rescale multipliers in both sets (the modules Captum hooks);
 * - 'rescale-exact': Rescale in `deeplift-rescale-exact` only (Captum keeps their gradient);
 * - 'softmax' / 'max-pool': Captum's Softmax and MaxPool rules;
 * - 'product': the two-player split of a product a·b in the exact set, the plain gradient in Captum's;
 * - 'plain': the plain gradient (linear and data-movement ops, where it is the DeepLIFT multiplier).
 * An op without `deeplift` has no DeepLIFT treatment: DeepLIFT refuses it with an error naming the op and the node.
 */
export type DeepLiftTreatment = 'rescale' | 'rescale-exact' | 'softmax' | 'max-pool' | 'product' | 'plain';

export interface OpTraits {
  kind: OpKind;
  /** ONNX Runtime's CPU provider runs it on double tensors, or it is type-agnostic (float64 graphs may keep it). */
  doubleKernel: boolean;
  /**
   * Static shape rule (src/onnx/shapes.ts `inferShapes`): 'elementwise' (output 0 is shaped like input 0),
   * 'identity' (every output is shaped like input 0 and output 0 holds its values: Identity, Dropout at inference),
   * 'broadcast' (NumPy broadcast of every input), or the op's own function, which sets its outputs' shapes (and folded
   * values) on the ShapeContext. An op without one leaves its outputs' shapes unknown.
   */
  shape?: 'elementwise' | 'identity' | 'broadcast' | ((c: ShapeContext) => void);
  /**
   * Output 0 holds input 0's values in the same row-major order, only the shape changes (Reshape, Flatten, Squeeze,
   * Unsqueeze, Identity, Dropout): constant folding copies the values, CAM follows a pooled vector through it.
   */
  keepsValues?: true;
  /**
   * Constant folding (src/onnx/shapes.ts `FoldRule`): how output 0's values follow from known small input values
   * (shape arithmetic: Shape → Gather → Concat → Reshape, Swin's Mod/Where padding chains). An op without `fold` (and
   * without `keepsValues`) leaves its output's values unknown.
   */
  fold?: FoldRule;
  /** Reduce* ops: the opset from which the reduced axes are an input instead of the `axes` attribute (ReduceSum 13, the others 18). */
  axesInputSince?: number;
  /**
   * Element type of each output where it does not follow input 0's ('input': input 0's): comparisons ['bool'];
   * Shape, ArgMax ['int64']; TopK and MaxPool's indices ['input', 'int64']; Dropout's mask ['input', 'bool'].
   */
  outputTypes?: readonly ('input' | 'bool' | 'int64')[];
  /**
   * The op's own element-type rule where its outputs' types follow from its attributes or from another input than the
   * first (Cast's `to`, Constant's value, ConstantOfShape's fill, Where's branches, the dtype of Random*): ONNX type
   * codes, one per output (src/onnx/shapes.ts `inferElemTypes`).
   */
  inferTypes?: (c: TypeContext) => number[];
  /**
   * What float64 conversion (src/onnx/float64.ts `castGraphToFloat64`) does to the node itself, besides retyping its
   * float tensors: 'value-attributes' — its float value / value_float / value_floats attribute becomes a double
   * `value` (Constant); 'fill-value' — its fill value (default float 0) becomes double (ConstantOfShape);
   * 'cast-target' — a Cast to float casts to double (Cast); 'float-then-cast' — no double kernel: it runs on float32
   * values and its output is Cast to double (OneHot, the in-graph top-k seed).
   */
  float64?: 'value-attributes' | 'fill-value' | 'cast-target' | 'float-then-cast';
  /**
   * Its rule transforms its constant weight (Conv: the swapped, flipped kernel) and computes the transform itself
   * when GradientContext.foldWeights is set: the builder sets it from FOLD_WEIGHTS_MIN_CONVS such nodes in the model
   * (src/autodiff/schedule.ts says why).
   */
  foldsWeights?: true;
  /** Only output 0 carries gradient (the rest are indices, masks or running statistics). */
  indexOutputs?: true;
  /** Whether this node's outputs carry gradient at all, for ops where it depends on attributes (Cast to an integer type). */
  differentiable?: (node: NodeProto) => boolean;
  /**
   * Axis layout of its output (src/layout.ts): 'nchw' = 4-D tensors are NCHW by the ONNX definition (Conv, pools,
   * BatchNormalization, …); 'keeps' = the output has the axes of its same-rank input (element-wise ops, normalization
   * over the last axis, crops). Other ops have their own case in layout.ts or end layout propagation.
   */
  layout?: 'nchw' | 'keeps';
  /**
   * The input that holds the layer's learnable weight (Conv, ConvTranspose, Gemm, MatMul: 1): where it is a float
   * initializer the node is a parameter layer, whose weight model randomization re-draws.
   */
  weightInput?: number;
  /**
   * A dense layer y = scale · x·W (+ bias) with its data at input 0 and W at `weightInput`: how that input reads as the
   * [in, out] matrix W (Gemm's transB and alpha; MatMul's bias is the Add after it), or why this node is not such a
   * layer (Gemm's transA). Classic CAM reads the classifier's weights through it.
   */
  denseWeight?: (node: NodeProto) => DenseWeight | string;
  /**
   * An activation whose output is never negative: Relu, Sigmoid, Softplus, HardSigmoid, ThresholdedRelu (alpha ≥ 0,
   * default 1), and Clip as the ReLU6 / Hardtanh(0, ·) exported CNNs use it for (a Clip with a negative min is not).
   * CRAFT's NMF needs such a layer, and its error names the last one before a layer that went negative.
   */
  nonNegative?: true;
  /** A tensor after this op is no longer a spatial feature map (global pools, flattening): where CAM layers end. */
  headBoundary?: true;
  /** Lumen runs the op and infers its shapes but has no vector-Jacobian rule for it (see rules/forward-only.ts). */
  forwardOnly?: true;
  /**
   * Its integer outputs are its float input's values, quantized (QuantizeLinear, DynamicQuantizeLinear), not shape
   * arithmetic: the builder keeps them on the gradient path, so a gradient method meets the op (forward-only: refused,
   * naming it) instead of flowing around an integer tensor and giving a zero gradient.
   */
  quantizes?: true;
  lrp?: LrpTreatment;
  /** LRP: its output gates a Mul (x·σ(x), squeeze-excitation): the gate gets no relevance. */
  lrpGate?: true;
  /**
   * LRP: element-wise by a constant before the first layer is an in-graph input normalization relevance passes — with
   * the data as either operand ('either': Add, Sub, Mul) or only as the first ('first': Div, x / c; c / x is not one).
   */
  lrpInputNormalization?: 'either' | 'first';
  deeplift?: DeepLiftTreatment;
  /** DeepLIFT (Captum order): part of a gated activation x·g(x) (SiLU, Mish) PyTorch exports from one unhooked module. */
  deepliftGatePart?: true;
}

/** How a dense layer's weight input reads as its [in, out] matrix (OpTraits.denseWeight). */
export interface DenseWeight {
  /** The weight is stored [out, in] (Gemm with transB). */
  transposed: boolean;
  /** Factor of the product (Gemm's alpha). */
  scale: number;
  /** The layer's bias, if any, is the Add that consumes its output (MatMul: PyTorch's Linear on non-2-D inputs). */
  biasAfter?: true;
}

/** What an op's `inferTypes` rule sees. */
export interface TypeContext {
  readonly node: NodeProto;
  /** Element type of the node's first non-empty input (0 when unknown). */
  readonly first: number;
  /** Element type of a tensor by name (0 when unknown). */
  typeOf(name: string | undefined): number;
}

const traits = new Map<string, OpTraits>();
const rules = new Map<string, GradientRule>();

/**
 * Declare an op type: its traits and, unless it is 'no-gradient' or forward-only, its plain (true-gradient) rule.
 * One file per op under rules/ calls this.
 */
export function registerOp(opType: string, opTraits: OpTraits, rule?: GradientRule): void {
  const needsRule = opTraits.kind !== 'no-gradient' && !opTraits.forwardOnly;
  if (needsRule !== (rule !== undefined)) {
    throw new LumenError('UNSUPPORTED_OP', `registerOp(${opType}): ${needsRule ? 'a differentiable op needs a gradient rule' : 'a no-gradient or forward-only op takes no rule'}`);
  }
  traits.set(opType, opTraits);
  if (rule) rules.set(opType, rule);
}

/** Replace the plain gradient rule of an op already declared with registerOp. */
export function registerGradient(opType: string, rule: GradientRule): void {
  const t = traits.get(opType);
  if (!t || t.kind === 'no-gradient' || t.forwardOnly) throw new LumenError('UNSUPPORTED_OP', `registerGradient(${opType}): declare the op with registerOp (its traits) first`);
  rules.set(opType, rule);
}

export function gradientRule(opType: string): GradientRule | undefined {
  return rules.get(opType);
}

/** Traits of an op type, undefined for an op Lumen does not know. */
export function opTraits(opType: string): OpTraits | undefined {
  return traits.get(opType);
}

/**
 * The op hands input 0 on unchanged, values and shape (its `shape` is 'identity': Identity, and Dropout at inference).
 * The model looks through such ops for a final Softmax.
 */
export function passesThrough(opType: string): boolean {
  return traits.get(opType)?.shape === 'identity';
}

/** The opset from which a Reduce* op takes its axes as an input (its `axesInputSince` trait); an error for an op without one. */
export function axesInputSince(opType: string, node = ''): number {
  const since = traits.get(opType)?.axesInputSince;
  if (since === undefined) throw new LumenError('UNSUPPORTED_OP', `${opType}${node ? ` '${node}'` : ''}: its op traits do not say from which opset its axes are an input (axesInputSince)`);
  return since;
}

/** Op types whose traits satisfy `test`, sorted. */
export function opsWhere(test: (t: OpTraits, opType: string) => boolean): string[] {
  return [...traits].filter(([op, t]) => test(t, op)).map(([op]) => op).sort();
}

/** Op types with a plain gradient rule. */
export function registeredOps(): string[] {
  return [...rules.keys()].sort();
}

/** Op types with declared traits. */
export function declaredOps(): string[] {
  return [...traits.keys()].sort();
}
