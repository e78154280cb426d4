import { LumenError } from '../errors.js';
import { attrInt, attrInts } from '../onnx/attributes.js';
import { OnnxGraph, type Dim } from '../onnx/graph.js';
import { TensorProto_DataType, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { castGraphToFloat64, decomposeForFloat64 } from '../onnx/float64.js';
import { inferElemTypes, inferShapes, poolGeometry } from '../onnx/shapes.js';
import { GraphOps } from './ops.js';
import { FOLD_WEIGHTS_MIN_CONVS, scheduleAppendedNodes } from './schedule.js';
import { opTraits } from './registry.js';
import { getRuleSet, ruleFor } from './rulesets.js';
import type { GradientContext, PairedView } from './types.js';
import { checkTopRank } from '../targets/resolve.js';
import { appendTransform } from '../targets/score.js';
import type { TargetTransform } from '../targets/spec.js';
import './rules/index.js';

/** How the backward pass is seeded. */
export type SeedMode =
  /** A graph input shaped like the target ([N,K] for logits) holds the weights of the target's entries. */
  | { kind: 'input' }
  /** Built in the graph: one-hot of the rank-th largest target entry per row (rank 1 = top class). */
  | { kind: 'rank'; rank: number };

export interface BackwardOptions {
  /** The tensor whose seed-weighted sum is differentiated (the logits). */
  target: string;
  /** Tensors to differentiate with respect to. */
  wrt: readonly string[];
  /** Forward tensors to expose as outputs as well. */
  fetch?: readonly string[];
  seed?: SeedMode;
  /**
   * What the seed weights: the target itself ('logit'), softmax(target) over its last axis ('probability'), or the
   * target's transform for embedding ('cosine') and detection ('objectness') targets (src/targets/score.ts).
   */
  output?: TargetTransform;
  ruleSet?: string;
  /** Dims of the graph's feed inputs (symbolic batch as a string), used for static shape inference. */
  feedDims?: Readonly<Record<string, readonly Dim[]>>;
  /**
   * 'float64': the forward graph is first rewritten into ops with double kernels (src/onnx/float64.ts), the backward
   * is built over it, and the whole graph then runs in double (feeds and outputs stay float32).
   */
  precision?: Precision;
  /** With precision 'float64': the float feeds and outputs are double too (Float64Array in and out) instead of float32. */
  float64IO?: boolean;
  /** Compute the Conv rule's weight transforms in Lumen (GradientContext.foldWeights); default: from FOLD_WEIGHTS_MIN_CONVS nodes whose op `foldsWeights` (Conv). */
  foldWeights?: boolean;
  /**
   * With precision 'float64' (float32 feeds): feeds that get a second float32 feed (`residualName` in
   * src/onnx/float64.ts) added in double, so a point computed in double reaches the graph unrounded.
   */
  float64Residuals?: readonly string[];
}

/** Arithmetic precisions of an explanation graph (the gradient methods' `precision` choices). */
export const PRECISIONS = ['float32', 'float64'] as const;
export type Precision = (typeof PRECISIONS)[number];

export interface BackwardGraph {
  graph: OnnxGraph;
  /** The graph input the seed is fed to (seed mode 'input'). */
  seedInput?: string;
  /** Output tensor holding the explained class per row (seed mode 'rank'), as float. */
  seedClasses?: string;
  /** wrt tensor → output tensor name of its gradient. */
  gradients: Record<string, string>;
  /** Every graph output, target first. */
  outputs: string[];
  /** Number of forward nodes differentiated (for docs, tests and benchmarks). */
  differentiatedNodes: number;
}

/** Outputs that never carry gradient even though their node is differentiable (indices, masks, running stats). */
function isIndexOutput(node: NodeProto, outputIndex: number): boolean {
  return outputIndex > 0 && opTraits(node.opType)?.indexOutputs === true;
}

const FLOAT_TYPES = new Set([TensorProto_DataType.FLOAT, TensorProto_DataType.DOUBLE, TensorProto_DataType.FLOAT16, TensorProto_DataType.BFLOAT16]);

/** An op without traits counts as differentiable: it then has no rule and is reported by `unsupportedOp`. */
function isDifferentiableNode(node: NodeProto): boolean {
  const traits = opTraits(node.opType);
  if (traits?.kind === 'no-gradient') return false;
  return traits?.differentiable?.(node) ?? true;
}

/**
 * ceil_mode pools whose last window would start in the end padding: ORT's kernels (and Lumen's shapes) drop that
 * window, ONNX's shape inference keeps it, so ORT's graph checks would see the pool output one larger than it is and
 * reject gradient constants of the real size. A Slice to the real size after such a pool (a no-op at run time) makes
 * every shape downstream agree. Returns whether it added any.
 */
function pinCeilModePools(graph: OnnxGraph, shapes: Map<string, Dim[]>): boolean {
  const nodes = graph.graph.node;
  let pinned = false;
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    if (opTraits(node.opType)?.kind !== 'pool' || attrInt(node, 'ceil_mode', 0) !== 1) continue;
    const xs = shapes.get(node.input[0]!);
    const ys = shapes.get(node.output[0]!);
    if (!xs || !ys || ![...xs.slice(2), ...ys.slice(2)].every((d) => typeof d === 'number')) continue;
    const g = poolGeometry(node, xs.slice(2), attrInts(node, 'kernel_shape', []));
    const onnxSizes = (xs.slice(2) as number[]).map((d, k) => Math.ceil((d + g.pads[k]! + g.pads[k + xs.length - 2]! - ((g.kernel[k]! - 1) * g.dilations[k]! + 1)) / g.strides[k]!) + 1);
    const sizes = ys.slice(2) as number[];
    if (onnxSizes.every((d, k) => d === sizes[k])) continue;
    const y = node.output[0]!;
    const consumers = graph.consumers(y);
    const axes = sizes.map((_, k) => k + 2);
    const sliced = graph.op('Slice', [y, graph.int64s(axes.map(() => 0)), graph.int64s(sizes), graph.int64s(axes)]);
    // keep topological order: move the Slice (and its constant inputs, if added as nodes) right after the pool
    const slice = nodes.pop()!;
    nodes.splice(i + 1, 0, slice);
    for (const c of consumers) c.input.forEach((name, k) => name === y && (c.input[k] = sliced));
    pinned = true;
  }
  return pinned;
}

/**
 * Append the backward pass of `options.target` w.r.t. `options.wrt` to a copy of the model. Only nodes on a path
 * from a wrt tensor to the target are differentiated, in reverse graph order, fan-in gradients summed with Add.
 */
export function buildBackwardGraph(model: ModelProto, options: BackwardOptions): BackwardGraph {
  const float64 = options.precision === 'float64';
  const graph = OnnxGraph.copyOf(float64 ? decomposeForFloat64(model, options.feedDims) : model);
  if (float64) graph.scalarPrecision = 'float64';
  const opset = graph.opset;
  const ruleSet = getRuleSet(options.ruleSet ?? 'gradient');
  // folded values of shape arithmetic (Slice starts, Pad pads, Gather indices computed from Shape), for the rules
  const values = new Map<string, Dim[]>();
  let shapes = inferShapes(graph, options.feedDims, { values });
  // shapes are inferred again only when pools were pinned (the new Slices need theirs)
  if (pinCeilModePools(graph, shapes)) shapes = inferShapes(graph, options.feedDims, { values });
  const ops = new GraphOps(graph, opset);
  // The target's non-linear seed nodes (cosine to an embedding, × objectness) come first: they are then
  // differentiated like the model's own nodes, and the seed weights their output.
  const target = appendTransform(ops, options.target, options.output ?? 'logit', shapes.get(options.target));
  if (target !== options.target) shapes = inferShapes(graph, options.feedDims, { values });
  const forwardNodes = [...graph.nodes];

  const known = (t: string): boolean => graph.producer(t) !== undefined || graph.graph.input.some((i) => i.name === t) || graph.initializer(t) !== undefined;
  for (const t of [options.target, ...options.wrt, ...(options.fetch ?? [])]) {
    if (!known(t)) throw new LumenError('UNKNOWN_LAYER', `unknown tensor '${t}'`, 2);
  }

  // F: tensors that depend differentiably on a wrt tensor. B: tensors the target depends on.
  // Integer and bool tensors (shape arithmetic, masks) carry no gradient: the backward pass flows around them.
  const types = inferElemTypes(graph);
  const carriesGradient = (t: string): boolean => {
    const type = types.get(t) ?? 0;
    return type === 0 || FLOAT_TYPES.has(type);
  };
  const reachable = new Set<string>(options.wrt);
  for (const node of forwardNodes) {
    if (!isDifferentiableNode(node)) continue;
    // a quantizer's integer output still carries its input's values: the path goes on (and is refused at the quantizer)
    const quantizes = opTraits(node.opType)?.quantizes === true;
    if (node.input.some((i) => i && reachable.has(i))) node.output.forEach((o, k) => o && !isIndexOutput(node, k) && (carriesGradient(o) || quantizes) && reachable.add(o));
  }
  const needed = new Set<string>([target]);
  for (let i = forwardNodes.length - 1; i >= 0; i--) {
    const node = forwardNodes[i]!;
    if (node.output.some((o) => needed.has(o))) for (const inp of node.input) if (inp) needed.add(inp);
  }

  const onPath = (node: NodeProto): boolean =>
    isDifferentiableNode(node) && node.output.some((o) => o && needed.has(o) && reachable.has(o)) && node.input.some((inp) => inp && reachable.has(inp));
  // report a missing rule before anything else (a later rule may fail on the unknown op's shapes first)
  for (const node of forwardNodes) if (onPath(node) && !ruleFor(ruleSet, node.opType)) throw unsupportedOp(node, ruleSet.name);

  // Seed: the gradient of the explained scalar w.r.t. the target.
  let seedInput: string | undefined;
  let seedClasses: string | undefined;
  const targetShape = shapes.get(target);
  let seed: string;
  // With an in-graph top-k seed on the logits, the seed is one-hot: the index it picks (GradientContext.oneHotSeed)
  let pickedClass: string | undefined;
  const mode = options.seed ?? { kind: 'input' };
  if (mode.kind === 'input') {
    seedInput = graph.uniqueName('lumen_seed');
    graph.addInput(seedInput, targetShape ?? ['N', '?']);
    seed = seedInput;
  } else {
    const classes = targetShape?.[targetShape.length - 1];
    if (typeof classes === 'number') checkTopRank(mode.rank, classes);
    const [, indices] = graph.addNode('TopK', [target, ops.int64s([mode.rank])], 2, { axis: { i: -1 }, largest: { i: 1 }, sorted: { i: 1 } });
    const picked = ops.op('Gather', [indices!, graph.addInitializer(BigInt64Array.of(BigInt(mode.rank - 1)), [], 'lumen_rank')], { axis: { i: -1 } });
    const onOff = ops.constant([0, 1], [2]);
    // a class count only known at run time (shapes computed in the graph) is read from the target's shape there
    const depth = typeof classes === 'number' ? ops.int64s([classes]) : ops.op('Slice', [ops.shapeOf(target), ops.int64s([-1]), ops.int64s([2 ** 31 - 1])]);
    seed = ops.op('OneHot', [picked, depth, onOff], { axis: { i: -1 } });
    seedClasses = ops.toFloat(picked);
    pickedClass = picked;
  }
  if (options.output === 'probability') {
    pickedClass = undefined;
    const rank = targetShape?.length ?? 2;
    const axis = rank - 1;
    const p = ops.op('Softmax', [target], { axis: { i: opset >= 13 ? -1 : axis } });
    const dot = ops.reduceSum(ops.mul(seed, p), [axis], true);
    seed = ops.mul(p, ops.sub(seed, dot));
  }

  const contributions = new Map<string, string[]>();
  const contribute = (tensor: string, grad: string): void => {
    const list = contributions.get(tensor);
    if (list) list.push(grad);
    else contributions.set(tensor, [grad]);
  };
  const gradientOf = (tensor: string): string | undefined => {
    const list = contributions.get(tensor);
    if (!list || list.length === 0) return undefined;
    let sum = list[0]!;
    for (let i = 1; i < list.length; i++) sum = ops.add(sum, list[i]!);
    contributions.set(tensor, [sum]);
    return sum;
  };
  contribute(target, seed);

  const paired = ruleSet.paired ? pairedView(graph, ops) : undefined;
  const foldWeights = options.foldWeights ?? forwardNodes.filter((n) => opTraits(n.opType)?.foldsWeights).length >= FOLD_WEIGHTS_MIN_CONVS;
  let differentiated = 0;
  for (let i = forwardNodes.length - 1; i >= 0; i--) {
    const node = forwardNodes[i]!;
    if (!onPath(node)) continue;
    const gradOutputs = node.output.map((o) => (o ? gradientOf(o) : undefined));
    if (gradOutputs.every((g) => g === undefined)) continue;
    const rule = ruleFor(ruleSet, node.opType);
    if (!rule) throw unsupportedOp(node, ruleSet.name);
    const needs = (k: number): boolean => {
      const name = node.input[k];
      return name !== undefined && name !== '' && reachable.has(name);
    };
    const ctx: GradientContext = {
      graph,
      node,
      opset,
      gradOutputs,
      needsGradient: needs,
      shape: (t) => {
        const s = shapes.get(t);
        if (!s) throw new LumenError('UNSUPPORTED_MODEL', `static shape of '${t}' is unknown (needed to differentiate ${node.opType} '${node.name}')`);
        return s;
      },
      constantNumbers: (t) => {
        const v = graph.constantNumbers(t) ?? values.get(t);
        return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
      },
      ops,
      ruleSet: ruleSet.name,
      // the target's gradient is the in-graph one-hot seed alone (nothing else flows into it)
      ...(pickedClass && node.output[0] === target && contributions.get(target)?.length === 1 ? { oneHotSeed: pickedClass } : {}),
      ...(float64 ? { precision: 'float64' as const } : {}),
      ...(paired ? { paired } : {}),
      ...(foldWeights ? { foldWeights } : {}),
    };
    const grads = rule(ctx);
    differentiated++;
    node.input.forEach((name, k) => {
      if (!needs(k)) return;
      const g = grads[k];
      if (g === undefined) {
        throw new LumenError('UNSUPPORTED_OP', `the gradient of ${node.opType} (node '${node.name}') w.r.t. its input ${k} ('${name}') is not implemented`);
      }
      contribute(name, g);
    });
  }

  const gradients: Record<string, string> = {};
  for (const w of options.wrt) {
    const g = gradientOf(w) ?? ops.zerosLike(w);
    // an Identity gives every gradient its own output name, even when two wrt tensors share a gradient
    gradients[w] = graph.addNode('Identity', [g], [graph.uniqueName(`lumen_grad_${w.replace(/[^A-Za-z0-9_]/g, '_').slice(-40)}`)])[0]!;
  }
  const outputs = unique([options.target, ...(options.fetch ?? []), ...Object.values(gradients), ...(seedClasses ? [seedClasses] : [])]);
  graph.setOutputs(outputs);
  if (float64) castGraphToFloat64(graph, { io: options.float64IO ? 'float64' : 'float32', ...(options.float64Residuals ? { residuals: options.float64Residuals } : {}) });
  // backward nodes right after the forward values they read: ORT's session creation is then linear in graph length
  const scheduled = scheduleAppendedNodes(graph.graph.node, new Set(forwardNodes));
  scheduled.forEach((node, i) => (graph.graph.node[i] = node));
  return { graph, ...(seedInput ? { seedInput } : {}), ...(seedClasses ? { seedClasses } : {}), gradients, outputs, differentiatedNodes: differentiated };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/**
 * No vector-Jacobian rule for an op on the path. The autodiff layer knows no methods: the method registry
 * (src/methods/registry.ts) adds which methods still work on the model.
 */
export class NoGradientRuleError extends LumenError {
  constructor(readonly node: NodeProto, readonly ruleSet: string) {
    super(
      'UNSUPPORTED_OP',
      `cannot differentiate op ${node.opType} (node '${node.name || node.output[0]}')${ruleSet === 'gradient' ? '' : ` under rule set '${ruleSet}'`}: ` +
        'no gradient rule for it. Gradient-based methods do not work on this model',
    );
  }
}

export function unsupportedOp(node: NodeProto, ruleSet: string): NoGradientRuleError {
  return new NoGradientRuleError(node, ruleSet);
}

/** The reference half of paired [x; x_ref] batches, repeated to the full batch (for DeepLIFT-style rules). */
function pairedView(graph: OnnxGraph, ops: GraphOps): PairedView {
  const cache = new Map<string, string>();
  return {
    reference(tensor: string): string {
      let r = cache.get(tensor);
      if (!r) {
        const n = ops.op('Gather', [ops.shapeOf(tensor), graph.addInitializer(BigInt64Array.of(0n), [], 'lumen_zero')], { axis: { i: 0 } });
        const half = ops.op('Div', [n, graph.addInitializer(BigInt64Array.of(2n), [], 'lumen_two')]);
        const start = ops.unsqueeze(half, [0]);
        const ref = ops.op('Slice', [tensor, start, ops.int64s([Number.MAX_SAFE_INTEGER]), ops.int64s([0])]);
        r = ops.op('Concat', [ref, ref], { axis: { i: 0 } });
        cache.set(tensor, r);
      }
      return r;
    },
  };
}
