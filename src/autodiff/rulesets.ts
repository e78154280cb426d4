import { LumenError } from '../errors.js';
import { gradientRule, opTraits, type OpTraits } from './registry.js';
import type { GradientRule } from './types.js';

/**
 * A rule set replaces the gradient rule of some op types; every other op keeps its plain gradient.
 * Modified-backprop attribution methods (Guided Backprop, DeconvNet, later DeepLIFT and LRP) are rule sets.
 */
export interface RuleSet {
  name: string;
  description: string;
  overrides: Readonly<Record<string, GradientRule>>;
  /**
   * For rule sets that decide every op from its traits (LRP, DeepLIFT): the rule of an op type, replacing
   * `overrides` and the plain-gradient default; undefined for an op without a plain rule.
   */
  rule?: (opType: string) => GradientRule | undefined;
  /**
   * The forward runs on the batch [x; x_ref] (first half inputs, second half references) and rules get
   * `ctx.paired.reference(t)`. Callers feed both halves and seed only the first.
   */
  paired?: boolean;
}

const ruleSets = new Map<string, RuleSet>();

export function registerRuleSet(set: RuleSet): RuleSet {
  ruleSets.set(set.name, set);
  return set;
}

export function getRuleSet(name: string): RuleSet {
  const s = ruleSets.get(name);
  if (!s) throw new LumenError('BAD_OPTION', `unknown gradient rule set '${name}' (known: ${[...ruleSets.keys()].join(', ')})`, 2);
  return s;
}

export function listRuleSets(): RuleSet[] {
  return [...ruleSets.values()];
}

/** A `RuleSet.rule` that decides each op type once (from its traits, by `decide`) and keeps the answer. */
export function decidedOnce(decide: (opType: string) => GradientRule | undefined): (opType: string) => GradientRule | undefined {
  const rules = new Map<string, GradientRule | undefined>();
  return (opType) => {
    if (!rules.has(opType)) rules.set(opType, decide(opType));
    return rules.get(opType);
  };
}

/** How a rule set that decides every op from one treatment trait (`lrp`, `deeplift`) builds each treatment's rule from the op's plain rule. */
export type TreatmentRules<K extends 'lrp' | 'deeplift'> = { readonly [T in NonNullable<OpTraits[K]>]: (plain: GradientRule) => GradientRule };

/**
 * The rule of an op under a rule set that decides it from its `trait` treatment: `rules[treatment](plain)`, then
 * `adjust` by the op's other traits; undefined for an op without traits or a plain rule (the builder reports it). An
 * op whose traits declare no treatment gets `undeclaredTreatment(missing.who, …)`: refused, never the plain gradient.
 */
export function treatmentRule<K extends 'lrp' | 'deeplift'>(
  opType: string,
  plain: GradientRule | undefined,
  trait: K,
  rules: TreatmentRules<K>,
  missing: { who: string; name: string; hint?: () => string },
  adjust: (rule: GradientRule, traits: OpTraits) => GradientRule = (rule) => rule,
): GradientRule | undefined {
  const traits = opTraits(opType);
  if (!traits || !plain) return undefined;
  const treatment = traits[trait] as NonNullable<OpTraits[K]> | undefined;
  if (treatment === undefined) return undeclaredTreatment(missing.who, traits, missing.name, missing.hint?.());
  return adjust(rules[treatment](plain), traits);
}

/** The rule of an op whose traits declare no treatment under a rule set (`who`: 'LRP: no relevance rule'): refused, never a silent plain gradient. */
export function undeclaredTreatment(who: string, traits: OpTraits, trait: string, hint = ''): GradientRule {
  return ({ node }) => {
    throw new LumenError('UNSUPPORTED_OP', `${who} for ${traits.kind} ${node.opType} (node '${node.name || node.output[0]}'): its traits declare no ${trait} treatment${hint}`);
  };
}

/** The rule an op gets under a rule set: the set's own choice, else its override, else the plain gradient rule. */
export function ruleFor(set: RuleSet, opType: string): GradientRule | undefined {
  if (set.rule) return set.rule(opType);
  return set.overrides[opType] ?? gradientRule(opType);
}

registerRuleSet({ name: 'gradient', description: 'the true gradient (vector-Jacobian products)', overrides: {} });

// Captum hooks only nn.ReLU modules, i.e. ONNX Relu nodes; Clip (ReLU6) and everything else keep their gradient.
registerRuleSet({
  name: 'guided',
  description: 'Guided Backprop: Relu passes relu(grad_out ⊙ [x > 0])',
  overrides: {
    Relu: ({ node, gradOutputs, ops }) => {
      const y = node.output[0]!; // y > 0 ⇔ x > 0
      return [ops.op('Relu', [ops.mask(ops.greater(y, ops.scalar(0)), gradOutputs[0]!)])];
    },
  },
});

registerRuleSet({
  name: 'deconvnet',
  description: 'DeconvNet: Relu passes relu(grad_out), ignoring the forward mask',
  overrides: {
    Relu: ({ gradOutputs, ops }) => [ops.op('Relu', [gradOutputs[0]!])],
  },
});
