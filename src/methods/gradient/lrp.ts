/**
 * Layer-wise relevance propagation (Bach et al. 2015; composites as Montavon et al. 2019 and zennit): one forward +
 * backward under an LRP rule set (src/autodiff/rulesets/lrp.ts). The relevance of the output is the explained
 * logit (Captum's convention), so for conservative rules Σ relevance ≈ logit (minus what biases absorb).
 */
import { computeGradients } from '../../autodiff/index.js';
import { foldBatchNormalization } from '../../autodiff/canonizers.js';
import { COMPOSITES, FIRST_LAYER_RULES, defaultLrpParameters, lrpRuleSet, type LrpParameters } from '../../autodiff/rulesets/lrp.js';
import { LumenError, throwIfCancelled } from '../../errors.js';
import { LumenModel } from '../../model.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionsOf, ParsedOptions, Timings } from '../types.js';
import { numberInRange, shownValue } from '../../options.js';
import { checkedOptionValues } from '../validate.js';
import { itemSums } from './deeplift.js';
import { resolveBatchTargets, targetScores } from '../../targets/index.js';
import { familyInfo } from '../family.js';
import { batchSizeOption } from '../common-options.js';

/**
 * lrp's options as a caller passes them: the declared ones (lrpInfo.options). Beside them what the specs cannot
 * express: the ZBox bounds are declared as 'string' (flag and form text, '-1,-2'), and the API also takes one number
 * or one per channel, in the model's input space; the stabilizer is an API-only setting (no spec, no flag).
 */
export type LrpOptions = OptionsOf<typeof lrpInfo.options> & {
  low?: number | readonly number[] | string;
  high?: number | readonly number[] | string;
  stabilizer?: number;
};

/** lrp's options as explain receives them (checked and parsed against lrpInfo.options). */
type LrpValues = ParsedOptions<typeof lrpInfo.options>;

/** The rule parameters' defaults live with the rules (src/autodiff/rulesets/lrp.ts); ε's depends on the composite. */
const RULE_DEFAULTS = defaultLrpParameters('epsilon');
const exponent = (v: number): string => v.toExponential();

export const lrpInfo = familyInfo('gradient', {
  id: 'lrp',
  aliases: ['layer-wise-relevance-propagation', 'lrp-epsilon'],
  title: 'LRP (layer-wise relevance propagation)',
  summary:
    'Redistributes the explained logit backwards layer by layer with conservation rules (ε, γ, z⁺, αβ, flat, ZBox), so each input value gets a share of the score. Positive = evidence for the class.',
  needsBaseline: false,
  signed: true,
  cost: '1 forward + backward (γ/αβ/ZBox rules add 1–4 modified forward layer evaluations per layer inside the same run)',
  reference: "Captum 0.8.0 LRP (conformance: every LRP reference, composite 'captum-epsilon', ε = 1e-9); zennit composites by definition",
  options: [
    {
      name: 'composite',
      type: 'enum',
      choices: COMPOSITES,
      default: 'epsilon-plus-flat',
      description:
        "Which rule each layer gets. captum-epsilon: ε on every Conv/Gemm/pool/BatchNorm (Captum's default); epsilon-plus-flat / epsilon-gamma-box / epsilon-plus / epsilon-alpha2-beta1: zennit's composites (dense layers ε, convolutions z⁺ / γ / αβ, first layer flat or ZBox); epsilon: ε everywhere except pools.",
    },
    { name: 'epsilon', type: 'number', min: 0, description: `ε of the ε-rule (default ${exponent(defaultLrpParameters('captum-epsilon').epsilon)} for captum-epsilon, else ${exponent(RULE_DEFAULTS.epsilon)}).` },
    { name: 'gamma', type: 'number', default: RULE_DEFAULTS.gamma, min: 0, description: 'γ of the γ-rule (epsilon-gamma-box).' },
    { name: 'alpha', type: 'number', default: RULE_DEFAULTS.alpha, description: 'α of the αβ-rule (epsilon-alpha2-beta1); β = α − 1 keeps conservation.' },
    { name: 'beta', type: 'number', default: RULE_DEFAULTS.beta, description: 'β of the αβ-rule (epsilon-alpha2-beta1).' },
    {
      name: 'firstLayer',
      type: 'enum',
      choices: FIRST_LAYER_RULES,
      default: RULE_DEFAULTS.firstLayer,
      description: "Rule for the layer reading the input, replacing the composite's: flat, wsquare (w²), zbox (bounds low/high) or epsilon.",
    },
    {
      name: 'low',
      type: 'string',
      description: "ZBox lower bound of the input (one number or one per channel, in the normalized input space). Default: pixel value 0 normalized with the model's mean/std, else the input minimum rounded down to −2^k.",
    },
    { name: 'high', type: 'string', description: 'ZBox upper bound (as low). Default: pixel value 1 normalized, else the input maximum rounded up to 2^k.' },
    { name: 'canonize', type: 'boolean', description: 'Fold BatchNormalization into the preceding Conv/Gemm first (default true, false for captum-epsilon, which rules BatchNorm as its own layer like Captum).' },
    batchSizeOption(16, 'Images per run.'),
  ],
});

function boundOption(options: ExplainOptions, name: 'low' | 'high', channels: number, fallback: () => number[]): number[] {
  const v = options[name];
  if (v === undefined || v === null) return fallback();
  const list = typeof v === 'number' ? [v] : typeof v === 'string' ? v.split(/[,\s]+/).filter((s) => s !== '').map(Number) : Array.isArray(v) ? (v as unknown[]).map(Number) : [NaN];
  if (list.length === 0 || list.some((x) => !Number.isFinite(x)) || (list.length !== 1 && list.length !== channels)) {
    throw new LumenError('BAD_OPTION', `option ${name}=${shownValue(v)}: expected one number or ${channels} (one per channel)`, 2);
  }
  return list;
}

/**
 * A data-derived ZBox bound rounded outward to ±2^k (k ≥ −3): the bounds are part of the compiled graph, so a few
 * distinct values keep the session cache small while still enclosing the data.
 */
function outward(v: number, direction: 1 | -1): number {
  // beyond the data on the far side of zero: 0 already encloses it
  if (direction * v <= 0) return 0;
  return direction * 2 ** Math.ceil(Math.log2(Math.max(0.125, direction * v)));
}

/**
 * The rule-set parameters from a caller's options (ZBox defaults need the model and the input): the declared options
 * are checked and parsed against lrpInfo here, in explain's words (explain's own are already, and go to
 * parametersOf directly).
 */
export function lrpParameters(model: LumenModel, input: Tensor, options: LrpOptions): LrpParameters {
  return parametersOf(model, input, checkedOptionValues(lrpInfo.options, options, 'lrp'));
}

/** The rule-set parameters from parsed options: ε's default depends on the composite; the stabilizer is API-only. */
function parametersOf(model: LumenModel, input: Tensor, o: LrpValues): LrpParameters {
  const { composite, firstLayer } = o;
  const d = defaultLrpParameters(composite);
  const channels = model.channels;
  const norm = model.normalization;
  const perChannel = (pixel: number): number[] | undefined =>
    norm ? Array.from({ length: channels }, (_, c) => (pixel - norm.mean[c % norm.mean.length]!) / norm.std[c % norm.std.length]!) : undefined;
  let [min, max] = [Infinity, -Infinity];
  for (const v of input.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const p: LrpParameters = {
    composite,
    epsilon: o.epsilon ?? d.epsilon,
    gamma: o.gamma,
    alpha: o.alpha,
    beta: o.beta,
    stabilizer: numberInRange(o, 'stabilizer', d.stabilizer, 0),
    low: boundOption(o, 'low', channels, () => perChannel(0) ?? [outward(min, -1)]),
    high: boundOption(o, 'high', channels, () => perChannel(1) ?? [outward(max, 1)]),
    firstLayer,
  };
  return p;
}

/**
 * The model with BatchNormalization folded into its Conv/Gemm layers (the model itself when nothing folds), made
 * once per model and disposed with it.
 */
export function canonicalModel(model: LumenModel): { model: LumenModel; folded: string[] } {
  return model.derived('lrp:canonical', () => {
    const { model: proto, folded } = foldBatchNormalization(model.proto);
    return folded.length === 0 ? { model, folded } : { model: LumenModel.fromProto(proto, { runtime: model.runtime, session: model.sessionSettings, metadata: model.metadata, source: model.source }), folded };
  }, (c) => (c.model === model ? undefined : c.model.dispose()));
}

export const lrp: Method = registerMethod({
  info: lrpInfo,
  async explain(model, input, options): Promise<Explanation> {
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const params = parametersOf(model, input, options);
    const targets = await resolveBatchTargets(model, input, options.target, timings);
    if (targets.output !== 'logit') throw new LumenError('BAD_OPTION', `LRP explains logits: the output relevance is a logit (or a weighted sum of output entries); ${targets.output === 'probability' ? 'probability' : targets.output === 'cosine' ? 'cosine-similarity (embedding)' : 'class × objectness (detection)'} targets are not supported`, 2);
    const canonize = options.canonize ?? params.composite !== 'captum-epsilon';
    const { model: explained, folded } = canonize ? canonicalModel(model) : { model, folded: [] as string[] };
    const ruleSet = lrpRuleSet(params);
    const n = input.dims[0]!;
    const batch = options.batchSize;
    const relevance = new Float32Array(input.size);
    const scores: number[] = [];
    for (let start = 0; start < n; start += batch) {
      throwIfCancelled(options.signal);
      const end = Math.min(n, start + batch);
      const seed = targets.seed.rows(start, end);
      const r = await computeGradients(explained, input.rows(start, end), seed, { wrt: [explained.inputName], ruleSet, ...(targets.tensor ? { tensor: targets.tensor } : {}) });
      timings.compileMs += r.compileMs;
      timings.runMs += r.runMs;
      relevance.set(r.gradients[explained.inputName]!.data, (start * input.size) / n);
      scores.push(...targetScores(r.logits, { seed, output: 'logit' }));
      options.onProgress?.({ done: end, total: n });
    }
    const attribution = new Tensor(relevance, input.dims);
    const sums = itemSums(attribution);
    return {
      method: 'lrp',
      attribution,
      targets: targets.classes,
      extras: {
        composite: params.composite,
        // Captum's LRP convergence delta: the explained output minus the total relevance
        convergenceDelta: sums.map((s, i) => scores[i]! - s),
        relevanceSum: sums,
        scores,
        ...(folded.length > 0 ? { foldedBatchNorms: folded.join(', ') } : {}),
      },
      timings,
    };
  },
});
