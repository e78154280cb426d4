import type { Dim, OnnxGraph } from '../onnx/graph.js';
import type { NodeProto } from '../onnx/proto.js';
import type { GraphOps } from './ops.js';

/**
 * What a gradient rule sees while the backward graph is being built. Everything it creates goes into `graph`
 * as ONNX nodes; no value is computed in JavaScript.
 */
export interface GradientContext {
  /** The explanation graph (a copy of the model) being extended. */
  readonly graph: OnnxGraph;
  /** The forward node being differentiated; its inputs and outputs are forward tensors usable by the rule. */
  readonly node: NodeProto;
  /** Default-domain opset of the model (rules must emit nodes valid at this opset). */
  readonly opset: number;
  /** Gradient w.r.t. each output of `node` (a tensor name), or undefined when nothing flows back into it. */
  readonly gradOutputs: readonly (string | undefined)[];
  /** Whether input `i` of `node` needs a gradient (it lies on a path from a requested tensor). */
  needsGradient(inputIndex: number): boolean;
  /** Static shape of a tensor (symbolic batch kept as a string). Throws when unknown. */
  shape(tensor: string): Dim[];
  /**
   * Values of a tensor known before running: a constant, or shape arithmetic folded by static inference (e.g. the
   * Slice starts of PyTorch's q/k/v split, Swin's computed Pad amounts). Undefined when not known statically.
   */
  constantNumbers(tensor: string): number[] | undefined;
  /** Opset-aware node builders (ReduceSum, Unsqueeze, broadcast reduction, …). */
  readonly ops: GraphOps;
  /** Name of the rule set being applied ('gradient', 'guided', …). */
  readonly ruleSet: string;
  /** 'float64' when the graph will run in double: rules must then emit only ops with double kernels (no Conv). */
  readonly precision?: 'float32' | 'float64';
  /**
   * Compute constant weight transforms (the Conv rule's swapped, flipped kernel) here and add them as initializers
   * instead of nodes. Set for graphs with many Convs (src/autodiff/schedule.ts, FOLD_WEIGHTS_MIN_CONVS).
   */
  readonly foldWeights?: boolean;
  /**
   * Set when the gradient of the node's output is exactly the in-graph top-k seed, one one-hot row per item: the
   * int64 [N] tensor of the hot class (a rule may gather a row instead of multiplying by the seed).
   */
  readonly oneHotSeed?: string;
  /**
   * Set only for rule sets declared `paired` (DeepLIFT-style): the forward runs on the batch [x; x_ref] and
   * `reference(t)` is a tensor shaped like `t` whose items are the reference half of `t`, repeated for both halves.
   */
  readonly paired?: PairedView;
}

export interface PairedView {
  reference(tensor: string): string;
}

/**
 * A vector-Jacobian product rule: returns the gradient w.r.t. each input of the node (same order as
 * `node.input`), undefined for inputs that get no gradient. Only inputs with `needsGradient(i)` must be filled.
 */
export type GradientRule = (ctx: GradientContext) => (string | undefined)[];
