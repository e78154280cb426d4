/**
 * Layer-wise relevance propagation as modified gradients (zennit's view: a rule is the gradient of a layer whose
 * forward was modified). The backward tensor g_t at every hidden tensor t carries relevance R_t = t ⊙ g_t, so
 * ops without a rule (Flatten, Reshape, Concat, a residual Add, a max-pool's routing) keep their plain gradient and
 * still move relevance correctly: through y = a + b the plain gradient gives R_a = a ⊙ g_y, R_b = b ⊙ g_y, the sum
 * rule that splits R_y in proportion to the contributions. At the model input the rule set yields R_x itself (input
 * layers produce relevance directly; any other op consuming the input returns x ⊙ g), so the "gradient" w.r.t.
 * the input is the relevance map. Reshapes and an in-graph normalization (Sub/Add/Mul/Div by constants) between the
 * input and the first layer count as part of the input: relevance passes them unchanged. The seed weights the logits: R_logits = seed ⊙ logits (Captum: R = logit_k).
 *
 * Rules for a layer z = x·W + b (Conv, Gemm, MatMul), with s = R_z / stab(z'), stab(v) = v + ε·sign(v), sign(0)=1:
 * - epsilon(ε):   z' = z;                              g_x = Wᵀ s                (any op: pools, BN use their VJP)
 * - gamma(γ):     z' = x·(W + γW⁺) + (b + γb⁺);         g_x = (W + γW⁺)ᵀ s   (for x ≥ 0, z > 0; zennit's
 *                 generalization to negative x and z is implemented, see gammaRule)
 * - alphaBeta:    z⁺ = x⁺W⁺ + x⁻W⁻ + b⁺, z⁻ = x⁺W⁻ + x⁻W⁺ + b⁻, s± = R_z / stab(z±);
 *                 R_x = α(x⁺⊙W⁺ᵀs⁺ + x⁻⊙W⁻ᵀs⁺) − β(x⁺⊙W⁻ᵀs⁻ + x⁻⊙W⁺ᵀs⁻)     (zPlus = α1β0)
 * - flat:         R_x = 1ᵀ (R_z / stab(1·1))                                    (input layer only)
 * - wSquare:      R_x = (W²)ᵀ (R_z / stab(1·W² + b²))                            (input layer only)
 * - zBox(l, h):   z' = x·W − l·W⁺ − h·W⁻;  R_x = x⊙Wᵀs − l⊙W⁺ᵀs − h⊙W⁻ᵀs            (input layer only)
 * - pass (activations): R_in = R_out, i.e. g_in = g_out ⊙ y / x (the plain gradient for ReLU-like ops).
 */
import { LumenError } from '../../errors.js';
import type { NodeProto } from '../../onnx/proto.js';
import { gradientRule, opTraits, opsWhere } from '../registry.js';
import { decidedOnce, registerRuleSet, treatmentRule, type RuleSet, type TreatmentRules } from '../rulesets.js';
import type { GradientContext, GradientRule } from '../types.js';
import '../rules/index.js';

/** A rule for the data input (index 0) of a layer; `atInput` = the data is the model input (return relevance). */
export type LayerRule = (ctx: GradientContext, atInput: boolean) => string;

export const COMPOSITES = ['captum-epsilon', 'epsilon', 'epsilon-plus', 'epsilon-plus-flat', 'epsilon-gamma-box', 'epsilon-alpha2-beta1', 'epsilon-alpha2-beta1-flat'] as const;
export type CompositeName = (typeof COMPOSITES)[number];

export interface LrpParameters {
  composite: CompositeName;
  /** ε of the ε-rule layers (Captum 1e-9, zennit 1e-6). */
  epsilon: number;
  /** γ of the γ-rule (zennit 0.25). */
  gamma: number;
  alpha: number;
  beta: number;
  /** Stabilizer of the γ, αβ, flat, w² and ZBox denominators (zennit 1e-6). */
  stabilizer: number;
  /** ZBox bounds per input channel (one value = all channels), in the model's input space. */
  low: readonly number[];
  high: readonly number[];
  /** Overrides the composite's rule for input layers ('composite' = keep it). */
  firstLayer: FirstLayerRule;
}

export const FIRST_LAYER_RULES = ['composite', 'flat', 'wsquare', 'zbox', 'epsilon'] as const;
export type FirstLayerRule = (typeof FIRST_LAYER_RULES)[number];

// Which rule each op gets is its `lrp` trait (src/autodiff/registry.ts, declared in the op's rule file).
/** Ops that only rearrange values ('shape-only'): relevance and its gradient form are both preserved through them. */
const isShapeOnly = (opType: string): boolean => opTraits(opType)?.kind === 'shape-only';

// ------------------------------------------------------------------------------------------------------------
// Building blocks

/** Whether `t` is the model input or a reshaping of it (then relevance, not its gradient form, is returned). */
function isInputLike(ctx: GradientContext, t: string): boolean {
  for (let name: string | undefined = t, depth = 0; name !== undefined && depth < 16; depth++) {
    if (ctx.graph.feedInputs.some((i) => i.name === name)) return true;
    const p: NodeProto | undefined = ctx.graph.producer(name);
    if (!p) return false;
    if (isShapeOnly(p.opType)) name = p.input[0];
    else if (opTraits(p.opType)?.lrpInputNormalization) name = normalizationData(ctx, p);
    else return false;
  }
  return false;
}

function isConstant(ctx: GradientContext, t: string): boolean {
  return ctx.graph.initializer(t) !== undefined || ctx.graph.producer(t)?.opType === 'Constant';
}

/** The data input of an element-wise op whose other operand is a constant (where its lrpInputNormalization trait allows it), else undefined. */
function normalizationData(ctx: GradientContext, node: NodeProto): string | undefined {
  if (node.input.length !== 2) return undefined;
  const [a, b] = node.input as [string, string];
  if (isConstant(ctx, b) && !isConstant(ctx, a)) return a;
  if (isConstant(ctx, a) && !isConstant(ctx, b) && opTraits(node.opType)?.lrpInputNormalization === 'either') return b;
  return undefined;
}

/**
 * An element-wise normalization between the model input and the first layer passes relevance unchanged (what reaches
 * it is already relevance: the first layer's rule produced it); anywhere else the op keeps `otherwise`.
 */
function passNormalization(otherwise: GradientRule | undefined): GradientRule {
  return (ctx) => {
    const { node, gradOutputs, ops, shape } = ctx;
    const data = normalizationData(ctx, node);
    const gy = gradOutputs[0];
    if (data !== undefined && gy !== undefined && isInputLike(ctx, node.output[0]!)) {
      // relevance summed over any axis the constant broadcast the data along
      const passed = ops.unbroadcast(gy, shape(node.output[0]!), shape(data));
      return node.input.map((t, k) => (t === data && ctx.needsGradient(k) ? passed : undefined));
    }
    if (!otherwise) throw new LumenError('UNSUPPORTED_OP', `LRP: no gradient rule for ${ctx.node.opType} '${ctx.node.name}'`);
    return otherwise(ctx);
  };
}

/** v + ε·sign(v) with sign(0) = +1. */
function stabilize(ctx: GradientContext, v: string, eps: number): string {
  const { ops } = ctx;
  return ops.add(v, ops.where(ops.less(v, ops.scalar(0)), ops.scalar(-eps), ops.scalar(eps)));
}

/** R_y = y ⊙ g_y at the node's output. */
function outputRelevance(ctx: GradientContext): string {
  return ctx.ops.mul(ctx.node.output[0]!, ctx.gradOutputs[0]!);
}

/** The plain VJP w.r.t. input 0 of the node, optionally with its weight (input 1) replaced by `weight`. */
function vjp(ctx: GradientContext, gradOut: string, weight?: string): string {
  const rule = gradientRule(ctx.node.opType);
  if (!rule) throw new LumenError('UNSUPPORTED_OP', `LRP: no gradient rule for ${ctx.node.opType} '${ctx.node.name}'`);
  const original = ctx.node.input[1];
  const node = weight === undefined ? ctx.node : { ...ctx.node, input: [ctx.node.input[0]!, weight, ...ctx.node.input.slice(2)] };
  const view: GradientContext = {
    ...ctx,
    node,
    gradOutputs: [gradOut, ...ctx.gradOutputs.slice(1)],
    shape: (t) => ctx.shape(t === weight && original !== undefined ? original : t),
  };
  const g = rule(view)[0];
  if (g === undefined) throw new LumenError('UNSUPPORTED_OP', `LRP: no input gradient for ${ctx.node.opType} '${ctx.node.name}'`);
  return g;
}

/** The layer's forward with other inputs: same op and attributes, data `x`, weight `w`, optional bias. */
function forwardWith(ctx: GradientContext, x: string, w: string, bias: string | undefined): string {
  const { graph, node } = ctx;
  const [out] = graph.addNode(node.opType, bias === undefined ? [x, w] : [x, w, bias], 1);
  graph.graph.node[graph.graph.node.length - 1]!.attribute = [...node.attribute];
  return out!;
}

interface LayerParts {
  x: string;
  w: string;
  bias: string | undefined;
}

function layerParts(ctx: GradientContext): LayerParts {
  const { node } = ctx;
  const treatment = opTraits(node.opType)?.lrp;
  if (treatment !== 'conv-layer' && treatment !== 'dense-layer') throw new LumenError('UNSUPPORTED_OP', `LRP: ${node.opType} '${node.name}' is not a Conv/Gemm/MatMul layer`);
  if (ctx.needsGradient(1) || (node.input[2] && ctx.needsGradient(2))) {
    throw new LumenError('UNSUPPORTED_OP', `LRP: ${node.opType} '${node.name}' has input-dependent weights; LRP rules need the data as input 0 and constant weights`);
  }
  // Conv's B, Gemm's C (MatMul has no third input)
  return { x: node.input[0]!, w: node.input[1]!, bias: node.input[2] || undefined };
}

const positive = (ctx: GradientContext, t: string): string => ctx.ops.op('Relu', [t]);
const negative = (ctx: GradientContext, t: string): string => ctx.ops.op('Min', [t, ctx.ops.scalar(0)]);
const onesLike = (ctx: GradientContext, t: string): string => ctx.ops.op('Expand', [ctx.ops.scalar(1), ctx.ops.shapeOf(t)]);

// ------------------------------------------------------------------------------------------------------------
// Rules

/** ε-rule for any op with a plain VJP (layers, pools, BatchNormalization). */
export function epsilonRule(eps: number): LayerRule {
  return (ctx, atInput) => {
    const { ops, node } = ctx;
    const y = node.output[0]!;
    const s = ops.div(outputRelevance(ctx), stabilize(ctx, y, eps));
    const g = vjp(ctx, s);
    return atInput ? ops.mul(node.input[0]!, g) : g;
  };
}

/**
 * zennit's generalized γ-rule: positive outputs (z > 0) redistribute over z⁺ = x⁺(W + γW⁺) + x⁻(W + γW⁻) + (b + γb⁺),
 * negative outputs over z⁻ = x⁺(W + γW⁻) + x⁻(W + γW⁺) + (b + γb⁻). For x ≥ 0 and z > 0 it is the classic
 * γ-rule x(W + γW⁺) / (x(W + γW⁺) + b + γb⁺) of Montavon et al. (2019).
 */
export function gammaRule(gamma: number, stabilizer: number): LayerRule {
  return (ctx, atInput) => {
    const { ops, node } = ctx;
    const { x, w, bias } = layerParts(ctx);
    const z = node.output[0]!;
    const raised = (t: string, part: (c: GradientContext, v: string) => string): string => ops.add(t, ops.scale(part(ctx, t), gamma));
    const [xp, xn] = [positive(ctx, x), negative(ctx, x)];
    const [wUp, wDown] = [raised(w, positive), raised(w, negative)];
    const r = outputRelevance(ctx);
    const zUp = ops.add(forwardWith(ctx, xp, wUp, bias && raised(bias, positive)), forwardWith(ctx, xn, wDown, undefined));
    const zDown = ops.add(forwardWith(ctx, xp, wDown, bias && raised(bias, negative)), forwardWith(ctx, xn, wUp, undefined));
    const sUp = ops.mask(ops.greater(z, ops.scalar(0)), ops.div(r, stabilize(ctx, zUp, stabilizer)));
    const sDown = ops.mask(ops.less(z, ops.scalar(0)), ops.div(r, stabilize(ctx, zDown, stabilizer)));
    const forPositive = ops.add(vjp(ctx, sUp, wUp), vjp(ctx, sDown, wDown));
    const forNegative = ops.add(vjp(ctx, sUp, wDown), vjp(ctx, sDown, wUp));
    const g = ops.where(ops.greater(x, ops.scalar(0)), forPositive, forNegative);
    return atInput ? ops.mul(x, g) : g;
  };
}

export function alphaBetaRule(alpha: number, beta: number, stabilizer: number): LayerRule {
  return (ctx, atInput) => {
    const { ops } = ctx;
    const { x, w, bias } = layerParts(ctx);
    const [xp, xn] = [positive(ctx, x), negative(ctx, x)];
    const [wp, wn] = [positive(ctx, w), negative(ctx, w)];
    const r = outputRelevance(ctx);
    const zp = ops.add(forwardWith(ctx, xp, wp, bias && positive(ctx, bias)), forwardWith(ctx, xn, wn, undefined));
    const sp = ops.div(r, stabilize(ctx, zp, stabilizer));
    let forPositive = ops.scale(vjp(ctx, sp, wp), alpha);
    let forNegative = ops.scale(vjp(ctx, sp, wn), alpha);
    if (beta !== 0) {
      const zn = ops.add(forwardWith(ctx, xp, wn, bias && negative(ctx, bias)), forwardWith(ctx, xn, wp, undefined));
      const sn = ops.div(r, stabilize(ctx, zn, stabilizer));
      forPositive = ops.sub(forPositive, ops.scale(vjp(ctx, sn, wn), beta));
      forNegative = ops.sub(forNegative, ops.scale(vjp(ctx, sn, wp), beta));
    }
    const g = ops.where(ops.greater(x, ops.scalar(0)), forPositive, forNegative);
    return atInput ? ops.mul(x, g) : g;
  };
}

/** flat: ones for input and weights, no bias; w²: ones for the input, W² and b² (as zennit). Input layers only. */
function uniformInputRule(kind: 'flat' | 'wSquare', stabilizer: number): LayerRule {
  return (ctx, atInput) => {
    const { ops, node } = ctx;
    if (!atInput) throw new LumenError('UNSUPPORTED_OP', `LRP ${kind} rule is for the input layer only ('${node.name}' is not one)`);
    const { x, w, bias } = layerParts(ctx);
    const weight = kind === 'flat' ? onesLike(ctx, w) : ops.mul(w, w);
    const z = forwardWith(ctx, onesLike(ctx, x), weight, kind === 'wSquare' && bias ? ops.mul(bias, bias) : undefined);
    return vjp(ctx, ops.div(outputRelevance(ctx), stabilize(ctx, z, stabilizer)), weight);
  };
}

/** ZBox (z^B) with per-channel bounds; `low`/`high` broadcast over axis 1 of the layer's input. Input layers only. */
export function zBoxRule(low: readonly number[], high: readonly number[], stabilizer: number): LayerRule {
  return (ctx, atInput) => {
    const { ops, node } = ctx;
    if (!atInput) throw new LumenError('UNSUPPORTED_OP', `LRP ZBox rule is for the input layer only ('${node.name}' is not one)`);
    const { x, w, bias } = layerParts(ctx);
    const rank = ctx.shape(x).length;
    const bound = (values: readonly number[]): string => {
      const dims = values.length === 1 ? [] : [1, values.length, ...Array.from({ length: rank - 2 }, () => 1)];
      return ops.op('Expand', [ops.constant(Float32Array.from(values), dims), ops.shapeOf(x)]);
    };
    const [l, h] = [bound(low), bound(high)];
    const [wp, wn] = [positive(ctx, w), negative(ctx, w)];
    // z' = (x·W + b) − (l·W⁺ + b⁺) − (h·W⁻ + b⁻): the bias cancels (b = b⁺ + b⁻)
    const z = ops.sub(ops.sub(node.output[0]!, forwardWith(ctx, l, wp, bias && positive(ctx, bias))), forwardWith(ctx, h, wn, bias && negative(ctx, bias)));
    const s = ops.div(outputRelevance(ctx), stabilize(ctx, z, stabilizer));
    return ops.sub(ops.sub(ops.mul(x, vjp(ctx, s)), ops.mul(l, vjp(ctx, s, wp))), ops.mul(h, vjp(ctx, s, wn)));
  };
}

/** Relevance passes an activation unchanged: g_in = g_out ⊙ y / x (0 where x = 0, where R_in = x ⊙ g_in = 0 anyway). */
const passRule: GradientRule = (ctx) => {
  if (!ctx.needsGradient(0) || ctx.gradOutputs[0] === undefined) return [];
  const { ops, node } = ctx;
  const [x, y] = [node.input[0]!, node.output[0]!];
  const zero = ops.op('Equal', [x, ops.scalar(0)]);
  const ratio = ops.where(zero, ops.scalar(0), ops.div(y, ops.where(zero, ops.scalar(1), x)));
  const g = ops.mul(ctx.gradOutputs[0], ratio);
  // relevance at the model input: x ⊙ g = R_out
  return [isInputLike(ctx, x) ? ops.mul(x, g) : g];
};

/**
 * zennit's Norm for sums and average pools: the plain gradient of g_y ⊙ y / stab(y) for every input (for an Add,
 * R_a = a/(a + b)·R_y: the relevance split in proportion to the contributions).
 */
function normRule(stabilizer: number): GradientRule {
  return (ctx) => {
    const plain = plainWithInputRelevance(ctx.node.opType);
    if (!plain || ctx.gradOutputs[0] === undefined) return [];
    const y = ctx.node.output[0]!;
    const scaled = ctx.ops.div(outputRelevance(ctx), stabilize(ctx, y, stabilizer));
    return plain({ ...ctx, gradOutputs: [scaled, ...ctx.gradOutputs.slice(1)] });
  };
}

/**
 * Mul(signal, gate): the signal takes all the relevance, the gate none (Arras et al. 2017's rule for gated units;
 * zennit treats SiLU as one activation and passes relevance, which is the same). In the gradient form that is the
 * plain gradient for the signal and 0 for the gate. Any other Mul keeps its plain gradient (a constant factor
 * conserves relevance; a product of two signals would count it twice).
 */
function gatedMulRule(otherwise: GradientRule | undefined): GradientRule {
  return (ctx) => {
    const { node, ops, graph } = ctx;
    // a gate: an op whose output acts as a multiplicative gate (SiLU x·σ(x), squeeze-excitation x·σ(·), GLU-style)
    const isGate = (t: string | undefined): boolean => t !== undefined && opTraits(graph.producer(t)?.opType ?? '')?.lrpGate === true;
    const [a, b] = node.input as [string, string];
    const gateIndex = node.input.length === 2 && isGate(a) !== isGate(b) ? (isGate(a) ? 0 : 1) : -1;
    if (!otherwise) throw new LumenError('UNSUPPORTED_OP', `LRP: no gradient rule for Mul '${node.name}'`);
    if (gateIndex < 0) return otherwise(ctx);
    const grads = otherwise({ ...ctx, needsGradient: (k) => k !== gateIndex && ctx.needsGradient(k) });
    return node.input.map((t, k) => (k === gateIndex ? (ctx.needsGradient(k) ? ops.zerosLike(t) : undefined) : grads[k]));
  };
}

/** A layer rule as a gradient rule: only input 0 gets a backward value. */
function asGradientRule(rule: LayerRule): GradientRule {
  return (ctx) => {
    if (!ctx.needsGradient(0) || ctx.gradOutputs[0] === undefined) return [];
    return [rule(ctx, isInputLike(ctx, ctx.node.input[0]!))];
  };
}

/** The plain rule of an op, turned into relevance for inputs that are the model input (ops without an LRP rule). */
function plainWithInputRelevance(opType: string): GradientRule | undefined {
  const plain = gradientRule(opType);
  if (!plain) return undefined;
  if (isShapeOnly(opType)) return plain;
  return (ctx) => {
    const grads = plain(ctx);
    return grads.map((g, k) => (g !== undefined && isInputLike(ctx, ctx.node.input[k]!) ? ctx.ops.mul(ctx.node.input[k]!, g) : g));
  };
}

// ------------------------------------------------------------------------------------------------------------
// Composites

/**
 * Which rule each layer gets. "Input layer" = a layer whose data is the model input (or a reshaping of it); other
 * layers get "conv" or "dense" by their op's LRP treatment ('conv-layer': Conv; 'dense-layer': Gemm, MatMul).
 */
interface Composite {
  input?: LayerRule;
  conv: LayerRule;
  dense: LayerRule;
  /** MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool by the ε-rule (Captum). */
  pools?: LayerRule;
  batchNorm?: LayerRule;
  /** zennit's Norm on Add, Sum, AveragePool and GlobalAveragePool (with this stabilizer). */
  norm?: number;
}

function compositeRules(p: LrpParameters): Composite {
  const c = compositeOnly(p);
  switch (p.firstLayer) {
    case 'composite':
      return c;
    case 'flat':
      return { ...c, input: uniformInputRule('flat', p.stabilizer) };
    case 'wsquare':
      return { ...c, input: uniformInputRule('wSquare', p.stabilizer) };
    case 'zbox':
      return { ...c, input: zBoxRule(p.low, p.high, p.stabilizer) };
    case 'epsilon':
      return { ...c, input: epsilonRule(p.epsilon) };
  }
}

function compositeOnly(p: LrpParameters): Composite {
  const eps = epsilonRule(p.epsilon);
  switch (p.composite) {
    case 'captum-epsilon':
      return { conv: eps, dense: eps, pools: eps, batchNorm: eps };
    case 'epsilon':
      return { conv: eps, dense: eps, batchNorm: eps, norm: p.stabilizer };
    case 'epsilon-plus':
      return { conv: alphaBetaRule(1, 0, p.stabilizer), dense: eps, batchNorm: eps, norm: p.stabilizer };
    case 'epsilon-plus-flat':
      return { input: uniformInputRule('flat', p.stabilizer), conv: alphaBetaRule(1, 0, p.stabilizer), dense: eps, batchNorm: eps, norm: p.stabilizer };
    case 'epsilon-gamma-box':
      return { input: zBoxRule(p.low, p.high, p.stabilizer), conv: gammaRule(p.gamma, p.stabilizer), dense: eps, batchNorm: eps, norm: p.stabilizer };
    case 'epsilon-alpha2-beta1':
      return { conv: alphaBetaRule(p.alpha, p.beta, p.stabilizer), dense: eps, batchNorm: eps, norm: p.stabilizer };
    case 'epsilon-alpha2-beta1-flat':
      return { input: uniformInputRule('flat', p.stabilizer), conv: alphaBetaRule(p.alpha, p.beta, p.stabilizer), dense: eps, batchNorm: eps, norm: p.stabilizer };
  }
}

function layerRule(c: Composite, kind: 'conv' | 'dense'): GradientRule {
  return (ctx) => {
    // a dense layer whose weight operand is an activation too: a product of two activations (attention's MatMuls)
    if (kind === 'dense' && ctx.needsGradient(0) && ctx.needsGradient(1)) throw activationProduct(ctx.node.name, ctx.node.opType);
    if (!ctx.needsGradient(0) || ctx.gradOutputs[0] === undefined) return [];
    const atInput = isInputLike(ctx, ctx.node.input[0]!);
    const rule = atInput && c.input ? c.input : c[kind];
    return [rule(ctx, atInput)];
  };
}

/**
 * A MatMul of two activations (self-attention: queries × keys, attention × values) has no weight to redistribute
 * relevance over; AttnLRP's rules for it (Achtibat et al. 2024) are not implemented.
 */
function activationProduct(node: string, op: string): LumenError {
  return new LumenError(
    'UNSUPPORTED_OP',
    `LRP: ${op} '${node}' multiplies two activations (attention: queries × keys or attention × values), which LRP's layer rules do not cover ` +
      '(attention LRP, AttnLRP, is not implemented). Methods that work on this model: attention-rollout, attention-relevance, the gradient methods ' +
      '(saliency, input-x-gradient, integrated-gradients, smoothgrad, gradient-shap, …), the CAM methods and the perturbation methods',
  );
}

/** Rule set name for a parameter combination (registered on first use). */
export function lrpRuleSet(p: LrpParameters): string {
  const name = `lrp:${p.composite}:${JSON.stringify([p.firstLayer, p.epsilon, p.gamma, p.alpha, p.beta, p.stabilizer, p.low, p.high])}`;
  if (!registered.has(name)) {
    registered.add(name);
    registerRuleSet(buildRuleSet(name, p));
  }
  return name;
}

const registered = new Set<string>();

function buildRuleSet(name: string, p: LrpParameters): RuleSet {
  const c = compositeRules(p);
  const layers = { conv: layerRule(c, 'conv'), dense: layerRule(c, 'dense') };
  return { name, description: `LRP composite ${p.composite}`, overrides: {}, rule: decidedOnce((opType) => lrpRule(opType, c, layers)) };
}

/** The LRP rule of an op from its `lrp` trait; undefined for an op without a plain rule (the builder reports it). */
function lrpRule(opType: string, c: Composite, layers: { conv: GradientRule; dense: GradientRule }): GradientRule | undefined {
  const pools = (plain: GradientRule): GradientRule => (c.pools ? asGradientRule(c.pools) : plain);
  const rules: TreatmentRules<'lrp'> = {
    'conv-layer': () => layers.conv,
    'dense-layer': () => layers.dense,
    pass: () => passRule,
    pool: pools,
    'average-pool': (plain) => (c.norm !== undefined ? normRule(c.norm) : pools(plain)),
    sum: (plain) => (c.norm !== undefined ? normRule(c.norm) : plain),
    'batch-norm': (plain) => (c.batchNorm ? asGradientRule(c.batchNorm) : plain),
    product: (plain) => gatedMulRule(plain),
    contraction: (plain) => (ctx) => {
      // MaxViT's attention products are Einsums: as a MatMul of two activations, no LRP rule
      if (ctx.node.input.filter((_, k) => ctx.needsGradient(k)).length > 1) throw activationProduct(ctx.node.name, ctx.node.opType);
      return plain(ctx);
    },
    plain: (plain) => plain,
  };
  // zennit passes relevance through activations; here only where the op's traits say 'pass'
  const hint = (): string => ` (Lumen passes relevance through ${opsWhere((t) => t.lrp === 'pass').join(', ')}). The gradient, CAM and perturbation methods work on this model`;
  return treatmentRule(opType, plainWithInputRelevance(opType), 'lrp', rules, { who: 'LRP: no relevance rule', name: 'LRP', hint }, (rule, traits) =>
    traits.lrpInputNormalization ? passNormalization(rule) : rule,
  );
}

/** Default parameters of a composite (Captum's ε = 1e-9 for captum-epsilon, zennit's defaults otherwise). */
export function defaultLrpParameters(composite: CompositeName): LrpParameters {
  return {
    composite,
    epsilon: composite === 'captum-epsilon' ? 1e-9 : 1e-6,
    gamma: 0.25,
    alpha: 2,
    beta: 1,
    stabilizer: 1e-6,
    low: [-3],
    high: [3],
    firstLayer: 'composite',
  };
}

// A fixed rule set for the Captum composite, for callers that want a plain name (computeGradients ruleSet: 'lrp-epsilon').
registerRuleSet(buildRuleSet('lrp-epsilon', defaultLrpParameters('captum-epsilon')));
