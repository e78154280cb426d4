/**
 * DeepLIFT, Rescale rule (Shrikumar et al. 2017) with Captum 0.8 semantics: one forward + backward of the batch
 * [x; x_ref] under the `deeplift-rescale` rule set (src/autodiff/rulesets/deeplift.ts), attribution =
 * multipliers ⊙ (x − x_ref). Summation-to-delta holds exactly only when every non-linearity gets a Rescale rule;
 * the convergence delta Σ attr − (f(x) − f(x_ref)) is returned in extras.
 */
import { computeGradients, type Precision } from '../../autodiff/index.js';
import { throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { resolveBatchTargets, seedRows, targetScores, type ResolvedTargets } from '../../targets/index.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Method, OptionSpec, OptionsOf, ParsedOptions, Timings } from '../types.js';
import '../../autodiff/rulesets/deeplift.js';
import { baselineOption, baselineSpec, blurSigmaSpec, makeBaselines, type BaselineSpec } from './baselines.js';
import { PRECISION_OPTION } from './input-gradients.js';
import { Random } from '../../random.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';

/**
 * deeplift's options as a caller passes them: the declared ones (deepliftInfo.options). The baseline is declared as
 * 'string' (flag and form text); the API also takes a number or a Tensor (one image [1, …] or one per input).
 */
export type DeepLiftOptions = OptionsOf<typeof deepliftInfo.options> & { baseline?: BaselineSpec | string };

/** deeplift's options as explain receives them (checked and parsed against deepliftInfo.options). */
type DeepLiftValues = ParsedOptions<typeof deepliftInfo.options>;

/** Which DeepLIFT rules run (deeplift-shap declares the same choices and default, with its own description). */
export const DEEPLIFT_RULES_OPTION = {
  name: 'rules',
  type: 'enum',
  choices: ['captum', 'exact'],
  default: 'captum',
  description:
    "'captum': as Captum 0.8 (a MaxPool right after a ReLU passes its plain gradient; overlapping max-pool scatters overwrite). 'exact': the MaxPool rule everywhere, scatters summed, so the attributions sum to f(x) − f(reference).",
} as const satisfies OptionSpec;

export const deepliftInfo = familyInfo('gradient', {
  id: 'deeplift',
  aliases: ['deep-lift', 'deeplift-rescale'],
  title: 'DeepLIFT (Rescale)',
  summary:
    'How much each input value contributes to the change of the score from a reference image to this image, propagating differences with the Rescale rule (Captum DeepLift). Sums to about f(x) − f(reference).',
  needsBaseline: true,
  signed: true,
  cost: '1 forward + backward of a batch of 2 (input and reference) per image',
  reference: 'Captum 0.8.0 DeepLift (conformance: every DeepLift reference, baseline zeros)',
  options: [
    baselineSpec(
      "Reference input: 'zeros' (0 in the normalized space = the dataset mean image), a number for every value, 'blur' (the image blurred), 'uniform-noise' (seeded). API: also a Tensor (one image, or one per input).",
    ),
    blurSigmaSpec("Gaussian σ in pixels of the 'blur' baseline."),
    seedOption("Seed of the 'uniform-noise' baseline."),
    { name: 'multiplyByInputs', type: 'boolean', default: true, description: 'Multiply the multipliers by (input − reference); false returns the multipliers.' },
    DEEPLIFT_RULES_OPTION,
    batchSizeOption(16, 'Images per run (each run holds twice as many: the references).'),
    PRECISION_OPTION,
  ],
});

/** The reference batch for `input` ([N, …]) from the parsed `baseline` option (the same kinds as integrated-gradients). */
function baselineBatch(input: Tensor, options: DeepLiftValues): Tensor {
  return makeBaselines(input, baselineOption(options, 'baseline', 'deeplift'), new Random(options.seed, 'xor'), options.blurSigma);
}

export interface PairedResult {
  /** d(score)/d(input) under the paired rule set, input half only [N, …]. */
  multipliers: Tensor;
  /** Explained score of each input and of its reference. */
  scores: Float64Array;
  referenceScores: Float64Array;
}

/**
 * Run a paired rule set on inputs and references (same shape), `batchSize` pairs per run. Both halves are seeded
 * with the target (as Captum), the gradient of the input half is returned.
 */
export async function runPaired(
  model: LumenModel,
  input: Tensor,
  references: Tensor,
  targets: ResolvedTargets,
  ruleSet: string,
  batchSize: number,
  timings: Timings,
  signal: AbortSignal | undefined,
  precision: Precision,
): Promise<PairedResult> {
  const n = input.dims[0]!;
  const per = input.size / n;
  const multipliers = new Float32Array(input.size);
  const scores = new Float64Array(n);
  const referenceScores = new Float64Array(n);
  for (let start = 0; start < n; start += batchSize) {
    throwIfCancelled(signal);
    const end = Math.min(n, start + batchSize);
    const b = end - start;
    const pairSeed = seedRows(targets, 2 * b, (i) => start + (i % b));
    const r = await computeGradients(model, Tensor.concat([input.rows(start, end), references.rows(start, end)]), pairSeed, {
      wrt: [model.inputName],
      output: targets.output,
      ...(targets.tensor ? { tensor: targets.tensor } : {}),
      ruleSet,
      precision,
    });
    timings.compileMs += r.compileMs;
    timings.runMs += r.runMs;
    multipliers.set(r.gradients[model.inputName]!.data.subarray(0, b * per), start * per);
    const both = targetScores(r.logits, { seed: pairSeed, output: targets.output });
    scores.set(both.subarray(0, b), start);
    referenceScores.set(both.subarray(b), start);
  }
  return { multipliers: new Tensor(multipliers, input.dims), scores, referenceScores };
}

/** Σ over each item of a batch tensor, in float64. */
export function itemSums(t: Tensor): number[] {
  const n = t.dims[0]!;
  const per = t.size / n;
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let p = 0; p < per; p++) s += t.data[i * per + p]!;
    return s;
  });
}

/** The rule set of the declared 'rules' option (checked and defaulted where the method is registered). */
function deepliftRuleSet(rules: DeepLiftValues['rules']): string {
  return rules === 'exact' ? 'deeplift-rescale-exact' : 'deeplift-rescale';
}

/** DeepLIFT of `input` against `references` (same shape): (x − x_ref) ⊙ multipliers, and the convergence delta. */
export async function deepliftAttribution(
  model: LumenModel,
  input: Tensor,
  references: Tensor,
  targets: ResolvedTargets,
  options: Pick<DeepLiftValues, 'batchSize' | 'precision' | 'multiplyByInputs' | 'rules' | 'signal'>,
  timings: Timings,
): Promise<{ attribution: Tensor; delta: number[]; scores: Float64Array; referenceScores: Float64Array }> {
  const run = await runPaired(model, input, references, targets, deepliftRuleSet(options.rules), options.batchSize, timings, options.signal, options.precision);
  const multiply = options.multiplyByInputs;
  const attr = new Float32Array(input.size);
  const m = run.multipliers.data;
  for (let i = 0; i < attr.length; i++) attr[i] = multiply ? (input.data[i]! - references.data[i]!) * m[i]! : m[i]!;
  const attribution = new Tensor(attr, input.dims);
  // Captum's delta: Σ attr − (f(x) − f(x_ref)), meaningful for multiplied attributions
  const totals = itemSums(multiply ? attribution : new Tensor(Float32Array.from(m, (v, i) => v * (input.data[i]! - references.data[i]!)), input.dims));
  const delta = totals.map((s, i) => s - (run.scores[i]! - run.referenceScores[i]!));
  return { attribution, delta, scores: run.scores, referenceScores: run.referenceScores };
}

export const deeplift: Method = registerMethod({
  info: deepliftInfo,
  async explain(model, input, options): Promise<Explanation> {
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const references = baselineBatch(input, options);
    const targets = await resolveBatchTargets(model, input, options.target, timings);
    const r = await deepliftAttribution(model, input, references, targets, options, timings);
    return {
      method: 'deeplift',
      attribution: r.attribution,
      targets: targets.classes,
      extras: { convergenceDelta: r.delta, scores: Array.from(r.scores), referenceScores: Array.from(r.referenceScores) },
      timings,
    };
  },
});
