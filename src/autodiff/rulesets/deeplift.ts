/**
 * DeepLIFT (Shrikumar et al. 2017) with the Rescale rule, as Captum 0.8 implements it, expressed as a paired rule set:
 * the forward runs on the batch [x; x_ref] (B inputs, then their B references) and the backward replaces the
 * derivative of each non-linearity by a multiplier built from the differences to the reference.
 *
 * Captum semantics reproduced here (deep_lift.py):
 * - Both halves are seeded (Captum selects the target on [out(x); out(x_ref)]); the reference half's backward only
 *   matters where the rules mix halves (MaxPool), but it is kept to match Captum exactly.
 * - Δin = in(x) − in(x_ref) and Δout = out(x) − out(x_ref) are taken from the input half and repeated for both halves.
 * - Rescale (Relu, LeakyRelu, Elu, Sigmoid, Tanh, Softplus): grad_in = grad_out·Δout/Δin, or the plain gradient
 *   (each half at its own point) where |Δin| < 1e-10.
 * - Softmax: the Rescale multiplier minus its mean, Captum's normalisation (Σ over the pair / its element count;
 *   Captum sums over the whole batch, which equals this for one input; here pairs stay independent).
 * - MaxPool: Δout is split into max(y, y_ref) − y_ref routed to the input's argmax and y − max(y, y_ref) routed to the
 *   reference's argmax, each times grad_out, the two scatters summed and divided by Δin (plain gradient where
 *   |Δin| < 1e-10). Captum scatters with max_unpool, which OVERWRITES when overlapping windows share an argmax (the
 *   last window in row-major order wins); `deeplift-rescale` does the same (ScatterElements without reduction;
 *   ONNX Runtime's CPU kernel writes in index order).
 * - Hook order: Captum records a module's grad_out with a tensor hook registered before the next module's input
 *   hook, so when a hooked op directly consumes another hooked op's output (Relu → MaxPool in most CNNs) the
 *   producer sees the consumer's PLAIN gradient; the consumer's rule is lost. `deeplift-rescale` reproduces this
 *   (it is what every Captum DeepLift reference contains); `deeplift-rescale-exact` applies every rule, sums
 *   overlapping MaxPool scatters, rescales every element-wise non-linearity (Clip, Gelu, HardSwish, …) and splits
 *   products a·b by the mean of the other factor, so Σ attribution = f(x) − f(x_ref) up to rounding for networks
 *   made of these and linear ops.
 * - Every other op (Conv, Gemm, Add, Clip/ReLU6, pooling by average, …) keeps its plain gradient, and so do the
 *   Sigmoid/Tanh/Softplus parts of SiLU (x·σ(x)) and Mish (x·tanh(softplus(x))): one unhooked module each in PyTorch.
 * The caller multiplies the input-half gradient by (x − x_ref).
 */
import type { OnnxGraph } from '../../onnx/graph.js';
import { gradientRule, opTraits } from '../registry.js';
import '../rules/index.js';
import { decidedOnce, registerRuleSet, treatmentRule, type TreatmentRules } from '../rulesets.js';
import type { GradientContext, GradientRule } from '../types.js';
import { LumenError } from '../../errors.js';

/** Captum's threshold below which a difference counts as zero and the plain gradient is used. */
export const DEEPLIFT_EPS = 1e-10;

/** Slices of a paired [x; x_ref] tensor along the batch axis. */
interface Halves {
  /** The first (input) half, B items. */
  front(tensor: string): string;
  /** The second (reference) half, B items. */
  back(tensor: string): string;
  /** [a; a] */
  twice(tensor: string): string;
}

// Keyed by the graph being built, not by the model: the slices are nodes of that one graph (one per
// buildBackwardGraph call), so they must not outlive it or be shared with another explanation graph.
const halvesCache = new WeakMap<OnnxGraph, Halves>();

function halvesOf(ctx: GradientContext): Halves {
  let h = halvesCache.get(ctx.graph);
  if (h) return h;
  const { ops, graph } = ctx;
  const memo = new Map<string, string>();
  const cached = (key: string, make: () => string): string => {
    let v = memo.get(key);
    if (!v) {
      v = make();
      memo.set(key, v);
    }
    return v;
  };
  const halfOf = (t: string): string =>
    cached(`half:${t}`, () => {
      const n = ops.op('Gather', [ops.shapeOf(t), graph.addInitializer(BigInt64Array.of(0n), [], 'lumen_dl_zero')], { axis: { i: 0 } });
      return ops.unsqueeze(ops.op('Div', [n, graph.addInitializer(BigInt64Array.of(2n), [], 'lumen_dl_two')]), [0]);
    });
  h = {
    front: (t) => cached(`front:${t}`, () => ops.op('Slice', [t, ops.int64s([0]), halfOf(t), ops.int64s([0])])),
    back: (t) => cached(`back:${t}`, () => ops.op('Slice', [t, halfOf(t), ops.int64s([Number.MAX_SAFE_INTEGER]), ops.int64s([0])])),
    twice: (t) => cached(`twice:${t}`, () => ops.op('Concat', [t, t], { axis: { i: 0 } })),
  };
  halvesCache.set(ctx.graph, h);
  return h;
}

/** [Δ; Δ] with Δ = t(x) − t(x_ref). */
function repeatedDelta(ctx: GradientContext, t: string): string {
  const h = halvesOf(ctx);
  return h.twice(ctx.ops.sub(h.front(t), h.back(t)));
}

function plainGradient(ctx: GradientContext): string {
  const rule = gradientRule(ctx.node.opType);
  const g = rule?.(ctx)[0];
  if (g === undefined) throw new LumenError('UNSUPPORTED_OP', `DeepLIFT: no plain gradient for ${ctx.node.opType} '${ctx.node.name}'`);
  return g;
}

/** where(|Δin| < eps, fallback, value) */
function unlessTiny(ctx: GradientContext, deltaIn: string, fallback: string, value: string): string {
  const { ops } = ctx;
  return ops.where(ops.less(ops.op('Abs', [deltaIn]), ops.scalar(DEEPLIFT_EPS)), fallback, value);
}

/** Rescale: grad_out · Δout/Δin. */
const rescale: GradientRule = (ctx) => {
  if (!ctx.needsGradient(0) || ctx.gradOutputs[0] === undefined) return [];
  const { ops, node } = ctx;
  const dIn = repeatedDelta(ctx, node.input[0]!);
  const dOut = repeatedDelta(ctx, node.output[0]!);
  return [unlessTiny(ctx, dIn, plainGradient(ctx), ops.div(ops.mul(ctx.gradOutputs[0], dOut), dIn))];
};

/** Captum's Softmax rule: Rescale, then minus Σ/n over each [x; x_ref] pair (n = elements of the pair). */
const softmaxRescale: GradientRule = (ctx) => {
  const [unnormalized] = rescale(ctx);
  if (unnormalized === undefined) return [];
  const { ops, shape, node } = ctx;
  const dims = shape(node.input[0]!);
  const perItem = dims.slice(1);
  if (!perItem.every((d): d is number => typeof d === 'number')) {
    throw new LumenError('UNSUPPORTED_MODEL', `DeepLIFT Softmax '${node.name}': the non-batch size must be known statically`);
  }
  const count = perItem.reduce((a, b) => a * b, 1);
  const h = halvesOf(ctx);
  const itemSums = ops.reduceSum(unnormalized, perItem.map((_, i) => i + 1), true);
  const pairSums = h.twice(ops.add(h.front(itemSums), h.back(itemSums)));
  return [ops.sub(unnormalized, ops.scale(pairSums, 1 / (2 * count)))];
};

/**
 * Captum's MaxPool rule. `overwrite` mirrors max_unpool (see the file comment): the argmax positions come from the
 * node's Indices output and ScatterElements without reduction keeps the last window's value. Otherwise each half's
 * contributions are routed by the plain max-pool gradient (first maximum per window, overlapping windows summed).
 */
function maxPoolRule(overwrite: boolean): GradientRule {
  return (ctx) => {
    const { node, ops, graph } = ctx;
    const gy = ctx.gradOutputs[0];
    if (!ctx.needsGradient(0) || gy === undefined) return [];
    const plain = plainGradient(ctx);
    const [x, y] = [node.input[0]!, node.output[0]!];
    const h = halvesOf(ctx);
    const dIn = repeatedDelta(ctx, x);
    const [yx, yr] = [h.front(y), h.back(y)];
    const crossMax = ops.op('Max', [yx, yr]);
    const dOut = ops.op('Concat', [ops.sub(crossMax, yr), ops.sub(yx, crossMax)], { axis: { i: 0 } });
    const contributions = ops.mul(gy, dOut);
    let scattered: string;
    if (overwrite) {
      let indices = node.output[1];
      if (!indices) {
        // the forward node's Indices output: flat positions into the whole input, first maximum of each window
        indices = graph.uniqueName('lumen_deeplift_maxpool_indices');
        graph.renameOutput(node, 1, indices);
      }
      const flat = ops.int64s([-1]);
      const zeros = ops.op('ConstantOfShape', [ops.op('Reshape', [ops.op('Size', [x]), flat])]);
      const written = ops.op('ScatterElements', [zeros, ops.op('Reshape', [indices, flat]), ops.op('Reshape', [contributions, flat])], { axis: { i: 0 } });
      scattered = ops.reshapeLike(written, x);
    } else {
      scattered = plainGradient({ ...ctx, gradOutputs: [contributions, ...ctx.gradOutputs.slice(1)] });
    }
    const summed = h.twice(ops.add(h.front(scattered), h.back(scattered)));
    return [unlessTiny(ctx, dIn, plain, ops.div(summed, dIn))];
  };
}

/** The modules Captum hooks: ops whose `deeplift` trait is 'rescale', 'softmax' or 'max-pool'. */
function isHooked(opType: string): boolean {
  const t = opTraits(opType)?.deeplift;
  return t === 'rescale' || t === 'softmax' || t === 'max-pool';
}

/**
 * Captum's hook order: when a hooked module consumes the output of another hooked module directly, the producer's
 * hook records the gradient at that tensor BEFORE the consumer's hook rewrites it, so the producer's rule sees the
 * consumer's plain gradient (e.g. Relu → MaxPool: the Relu rescales the plain max-pool gradient). Where the producer
 * falls back to its plain gradient (Δ = 0) the consumer's own difference is 0 as well, so it is plain there too.
 */
function captumHookOrder(rule: GradientRule): GradientRule {
  return (ctx) => {
    const producer = ctx.graph.producer(ctx.node.input[0]!);
    if (producer && isHooked(producer.opType)) {
      const plain = gradientRule(ctx.node.opType);
      if (plain) return plain(ctx);
    }
    return rule(ctx);
  };
}

/** Sigmoid, Tanh, Softplus: the `deepliftGatePart` trait. */
const isGatePart = (opType: string): boolean => opTraits(opType)?.deepliftGatePart === true;

/**
 * Whether the node is part of a gated activation x·g(x) — SiLU/Swish (Sigmoid → Mul) or Mish (Softplus → Tanh →
 * Mul) — that PyTorch exports from one module (nn.SiLU, nn.Mish) Captum does not hook: its parts keep their gradient.
 */
function inGatedActivation(ctx: GradientContext): boolean {
  const { graph, node } = ctx;
  let origin = node.input[0]!;
  for (let p = graph.producer(origin), i = 0; p && isGatePart(p.opType) && i < 3; p = graph.producer(origin), i++) origin = p.input[0]!;
  let frontier = [node.output[0]!];
  for (let i = 0; i < 3 && frontier.length > 0; i++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (const c of graph.consumers(t)) {
        // exactly origin · gate (Mul, the 'product' op): the backward pass never multiplies a forward tensor by its own gate value
        if (opTraits(c.opType)?.deeplift === 'product' && c.input.length === 2 && c.input.includes(origin) && c.input.includes(t)) return true;
        if (isGatePart(c.opType)) next.push(c.output[0]!);
      }
    }
    frontier = next;
  }
  return false;
}

function unlessGated(rule: GradientRule): GradientRule {
  return (ctx) => {
    if (inGatedActivation(ctx)) {
      const plain = gradientRule(ctx.node.opType);
      if (plain) return plain(ctx);
    }
    return rule(ctx);
  };
}

/**
 * A product of two differentiated tensors, y = a·b: each factor gets the mean of the other over input and reference,
 * grad_a = grad_y · (b + b₀)/2, so Δy = Δa·(b + b₀)/2 + Δb·(a + a₀)/2 exactly (the two-player Shapley split).
 * A product with a constant is linear and keeps its gradient.
 */
const productRule = (plain: GradientRule): GradientRule => (ctx) => {
  const { node, ops, shape } = ctx;
  const gy = ctx.gradOutputs[0];
  if (gy === undefined || node.input.length !== 2 || !ctx.needsGradient(0) || !ctx.needsGradient(1)) return plain(ctx);
  const h = halvesOf(ctx);
  const mean = (t: string): string => h.twice(ops.scale(ops.add(h.front(t), h.back(t)), 0.5));
  const [a, b] = node.input as [string, string];
  const out = shape(node.output[0]!);
  return [ops.unbroadcast(ops.mul(gy, mean(b)), out, shape(a)), ops.unbroadcast(ops.mul(gy, mean(a)), out, shape(b))];
};

/**
 * The DeepLIFT rule of an op from its `deeplift` trait ('rescale-exact': element-wise ops of one differentiated
 * input that the exact rules rescale too, Captum keeps their gradient); undefined for an op without a plain rule.
 */
function deepliftRule(opType: string, captum: boolean): GradientRule | undefined {
  const rules: TreatmentRules<'deeplift'> = {
    rescale: () => rescale,
    'rescale-exact': (plain) => (captum ? plain : rescale),
    softmax: () => softmaxRescale,
    'max-pool': () => maxPoolRule(captum),
    product: (plain) => (captum ? plain : productRule(plain)),
    plain: (plain) => plain,
  };
  return treatmentRule(opType, gradientRule(opType), 'deeplift', rules, { who: 'DeepLIFT: no multiplier rule', name: 'DeepLIFT' }, (rule, traits) => {
    if (captum && isHooked(opType)) rule = captumHookOrder(rule);
    if (captum && traits.deepliftGatePart) rule = unlessGated(rule);
    return rule;
  });
}

registerRuleSet({
  name: 'deeplift-rescale',
  description: 'DeepLIFT Rescale multipliers as Captum 0.8 computes them (hook-order and max_unpool overwrite included)',
  paired: true,
  overrides: {},
  rule: decidedOnce((opType) => deepliftRule(opType, true)),
});

registerRuleSet({
  name: 'deeplift-rescale-exact',
  description: 'DeepLIFT Rescale multipliers with every rule applied and MaxPool scatters summed: summation-to-delta holds',
  paired: true,
  overrides: {},
  rule: decidedOnce((opType) => deepliftRule(opType, false)),
});
