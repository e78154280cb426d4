import { LumenError } from '../errors.js';
import type { LumenModel } from '../model.js';
import type { Dim } from '../onnx/graph.js';
import type { Feeds } from '../runtime/types.js';
import { FLOAT64_SESSION_SETTINGS, residualName } from '../onnx/float64.js';
import { Tensor } from '../tensor.js';
import type { TargetTransform } from '../targets/spec.js';
import { buildBackwardGraph, type BackwardGraph, type Precision, type SeedMode } from './builder.js';
import './rulesets/deeplift.js';
import './rulesets/lrp.js';

export { buildBackwardGraph, unsupportedOp, NoGradientRuleError, PRECISIONS, type BackwardGraph, type BackwardOptions, type Precision, type SeedMode } from './builder.js';
export { registerOp, registerGradient, gradientRule, registeredOps, declaredOps, opTraits, opsWhere, type OpTraits, type OpKind, type LrpTreatment, type DeepLiftTreatment } from './registry.js';
export { registerRuleSet, getRuleSet, listRuleSets, ruleFor, type RuleSet } from './rulesets.js';
export { GraphOps } from './ops.js';
export type { GradientContext, GradientRule, PairedView } from './types.js';

export interface GradientRequest {
  /** Tensors to differentiate w.r.t. (the model input and/or intermediate tensors). */
  wrt: readonly string[];
  /** Forward tensors to return too (e.g. a CAM layer's activation). */
  fetch?: readonly string[];
  /** The explained tensor (a resolved target's `tensor`); default: the model's logits. */
  tensor?: string;
  /** What the seed weights: the tensor (default), softmax of it, or a target transform (src/targets/score.ts). */
  output?: TargetTransform;
  /** 'gradient' (default), 'guided', 'deconvnet', or a rule set registered later. */
  ruleSet?: string;
  /**
   * 'float64' runs the explanation graph in double (src/onnx/float64.ts): reference precision, slower. Inputs,
   * seeds and results stay float32 (rounded once, at the end). Default 'float32'.
   */
  precision?: Precision;
  /**
   * With precision 'float64': what float32 rounded off the input, so the graph runs at input + inputResidual summed
   * in double (a point computed in double, e.g. an Integrated Gradients path point; see splitFloat64).
   */
  inputResidual?: Tensor;
}

/** Seed the backward in-graph with the one-hot of the rank-th most likely class (rank 1 = top1); no extra forward. */
export interface RankSeed {
  rank: number;
}

export interface GradientResult {
  /** Values of the explained tensor (the logits unless the request names another tensor). */
  logits: Tensor;
  /** wrt tensor name → d(Σ seed ⊙ transform(output))/d tensor, same shape as the tensor. */
  gradients: Record<string, Tensor>;
  /** Fetched forward tensors by name. */
  tensors: Record<string, Tensor>;
  /** With a RankSeed: the class explained for each batch item. */
  classes?: number[];
  compileMs: number;
  runMs: number;
}

/**
 * Gradients of Σ seed ⊙ transform(tensor) (tensor: the logits or the target's tensor; transform: identity, softmax,
 * cosine, objectness) w.r.t. the requested tensors, in one
 * run of an explanation graph (the model plus its backward pass as ONNX nodes). The compiled graph is cached per
 * (model, request, input size); any batch size and any seed reuse it.
 */
export async function computeGradients(model: LumenModel, input: Tensor, seed: Tensor | RankSeed, req: GradientRequest): Promise<GradientResult> {
  model.checkInput(input);
  return gradientsOfCheckedInput(model, input, seed, req);
}

/**
 * `computeGradients` for an input that passed `model.checkInput` on this call already: an explain's own input (or
 * rows of it), which `registerMethod` validated. Skips the second full scan of the input for NaN (≈0.4 ms at 224 px);
 * an input computed from it (path points, noise, augmentation) goes through `computeGradients`.
 */
export async function gradientsOfCheckedInput(model: LumenModel, input: Tensor, seed: Tensor | RankSeed, req: GradientRequest): Promise<GradientResult> {
  for (const t of [...req.wrt, ...(req.fetch ?? [])]) model.requireTensor(t);
  if (req.wrt.length === 0) throw new LumenError('BAD_OPTION', 'computeGradients: wrt is empty');
  if (req.inputResidual && (req.precision !== 'float64' || req.inputResidual.size !== input.size)) {
    throw new LumenError('BAD_OPTION', 'computeGradients: inputResidual needs precision float64 and the shape of the input');
  }
  const n = input.dims[0]!;
  const target = req.tensor ?? model.logitsName;
  if (target !== model.logitsName) model.requireTensor(target);
  const seedMode: SeedMode = seed instanceof Tensor ? { kind: 'input' } : { kind: 'rank', rank: seed.rank };
  if (seed instanceof Tensor && (seed.rank < 2 || seed.dims[0] !== n)) {
    throw new LumenError('BAD_OPTION', `computeGradients: seed must be [${n}, …] like the explained tensor, got [${seed.dims.join(', ')}]`);
  }
  // The batch keeps the model's own symbol (e.g. 'batch') so the seed input and every gradient share it with the
  // forward tensors: ORT then sees equal shapes and keeps element-wise gradient ops in its blocked conv layout.
  const declaredBatch = model.inputDims[0];
  const batchDim: Dim = typeof declaredBatch === 'string' && declaredBatch !== '' ? declaredBatch : 'N';
  const feedDims: Record<string, Dim[]> = { [model.inputName]: [batchDim, ...input.dims.slice(1)] };
  const key = `grad:${JSON.stringify({ tensor: target, wrt: req.wrt, fetch: req.fetch ?? [], output: req.output ?? 'logit', ruleSet: req.ruleSet ?? 'gradient', seed: seedMode, dims: input.dims.slice(1), precision: req.precision ?? 'float32', residual: req.inputResidual !== undefined })}`;
  let built = false;
  const t0 = now();
  const { session, meta: names } = await model.compile(key, () => {
    built = true;
    const b = buildBackwardGraph(model.proto, {
      target,
      wrt: req.wrt,
      ...(req.fetch ? { fetch: req.fetch } : {}),
      seed: seedMode,
      output: req.output ?? 'logit',
      ruleSet: req.ruleSet ?? 'gradient',
      feedDims,
      ...(req.precision === 'float64' ? { precision: 'float64' as const } : {}),
      ...(req.inputResidual ? { float64Residuals: [model.inputName] } : {}),
    });
    return { graph: b.graph, meta: describe(b), ...(req.precision === 'float64' ? { settings: FLOAT64_SESSION_SETTINGS } : {}) };
  });
  const compileMs = built ? now() - t0 : 0;
  const feeds: Feeds = { [model.inputName]: input };
  if (names.seedInput && seed instanceof Tensor) feeds[names.seedInput] = seed;
  if (req.inputResidual) feeds[residualName(model.inputName)] = req.inputResidual;
  const fetchNames = [target, ...(req.fetch ?? []), ...Object.values(names.gradients), ...(names.seedClasses ? [names.seedClasses] : [])];
  const t1 = now();
  const out = await session.run(feeds, [...new Set(fetchNames)]);
  const runMs = now() - t1;
  const gradients: Record<string, Tensor> = {};
  for (const [w, name] of Object.entries(names.gradients)) gradients[w] = out[name]!;
  const tensors: Record<string, Tensor> = {};
  for (const f of req.fetch ?? []) tensors[f] = out[f]!;
  const result: GradientResult = { logits: out[target]!, gradients, tensors, compileMs, runMs };
  if (names.seedClasses) result.classes = Array.from(out[names.seedClasses]!.data, (v) => Math.round(v));
  return result;
}

/** Names of an explanation graph's seed input and outputs: its `compile` meta (the builder runs once per key). */
interface GraphNames {
  seedInput?: string;
  seedClasses?: string;
  gradients: Record<string, string>;
}

function describe(b: BackwardGraph): GraphNames {
  return { ...(b.seedInput ? { seedInput: b.seedInput } : {}), ...(b.seedClasses ? { seedClasses: b.seedClasses } : {}), gradients: b.gradients };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
