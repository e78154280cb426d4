import { throwIfCancelled } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, MethodInfo, OptionSpec, OptionValues, Timings } from '../types.js';
import { familyInfo, type OwnInfo } from '../family.js';
import { gradientTargets, inputGradients, PRECISION_OPTION } from './input-gradients.js';
import { batchSizeOption } from '../common-options.js';

/** The info of a one-pass gradient method: it needs no baseline (family traits in `family.ts`). */
export type SingleGradientInfo<S extends readonly OptionSpec[] = readonly OptionSpec[]> = Omit<OwnInfo<'gradient'>, 'needsBaseline' | 'cost' | 'options'> & { options?: S };

export const BATCH_OPTION = batchSizeOption(32, 'images per forward + backward run');

/**
 * A method that is one backward pass under a rule set, then an elementwise map of (gradient, input): Saliency,
 * Input × Gradient, Guided Backprop, DeconvNet. Top-k targets are seeded inside the graph (no extra forward).
 * Every such method also takes `batchSize` and `precision` (appended to its own declared options, if any).
 */
export function defineGradientMethod<const S extends readonly OptionSpec[] = readonly []>(
  own: SingleGradientInfo<S>,
  ruleSet: string,
  attribute: (gradient: Tensor, input: Tensor, options: ExplainOptions & OptionValues<S>) => Tensor,
): Method {
  // the cost follows from the rule set: the true gradient, or one modified at some ops (Guided Backprop, DeconvNet)
  const cost = ruleSet === 'gradient' ? '1 forward + backward to the input' : '1 forward + modified backward to the input';
  const { options: ownOptions, ...text } = own;
  const info: MethodInfo = familyInfo('gradient', { ...text, needsBaseline: false, cost, options: [...(ownOptions ?? []), BATCH_OPTION, PRECISION_OPTION] });
  return registerMethod({
    info,
    // (the values of the appended options are typed here; the method's own ones, S, in `attribute`)
    async explain(model, input, options: ExplainOptions & OptionValues<readonly [typeof BATCH_OPTION, typeof PRECISION_OPTION]>): Promise<Explanation> {
      const timings: Timings = { compileMs: 0, runMs: 0 };
      const targets = await gradientTargets(model, input, options.target, timings);
      const res = await inputGradients(model, input, targets, {
        ruleSet,
        precision: options.precision,
        batchSize: options.batchSize,
        inputChecked: true,
        timings,
        signal: options.signal,
        onBatch: (done, total) => options.onProgress?.({ done, total, stage: info.id }),
      });
      throwIfCancelled(options.signal);
      return { method: info.id, attribution: attribute(res.gradients, input, options as ExplainOptions & OptionValues<S>), targets: res.classes, extras: {}, timings };
    },
  });
}
