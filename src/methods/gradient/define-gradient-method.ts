import { LumenError } from '../../errors.js';
import type { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionSpec, Timings } from '../types.js';
import { familyInfo, type OwnInfo } from '../family.js';
import { gradientTargets, inputGradients, PRECISION_OPTION, precisionOption } from './input-gradients.js';
import { intOption } from '../../options.js';
import { batchSizeOption } from '../common-options.js';

/** The info of a one-pass gradient method: it needs no baseline (family traits in `family.ts`). */
export type SingleGradientInfo = Omit<OwnInfo<'gradient'>, 'needsBaseline' | 'options'> & { options?: readonly OptionSpec[] };

export const BATCH_OPTION: OptionSpec = batchSizeOption(32, 'images per forward + backward run');

/**
 * A method that is one backward pass under a rule set, then an elementwise map of (gradient, input): Saliency,
 * Input × Gradient, Guided Backprop, DeconvNet. Top-k targets are seeded inside the graph (no extra forward).
 * Every such method also takes the `precision` option (appended to its declared options, `batchSize` by default).
 */
export function defineGradientMethod(own: SingleGradientInfo, ruleSet: string, attribute: (gradient: Tensor, input: Tensor, options: ExplainOptions) => Tensor): Method {
  const info = familyInfo('gradient', { ...own, needsBaseline: false, options: [...(own.options ?? [BATCH_OPTION]), PRECISION_OPTION] as readonly OptionSpec[] });
  return registerMethod({
    info,
    async explain(model, input, options: ExplainOptions = {}): Promise<Explanation> {
      const timings: Timings = { compileMs: 0, runMs: 0 };
      const targets = await gradientTargets(model, input, options.target, timings);
      const batchSize = intOption(options, 'batchSize', 32);
      const res = await inputGradients(model, input, targets, {
        ruleSet,
        precision: precisionOption(options),
        batchSize,
        inputChecked: true,
        timings,
        signal: options.signal,
        onBatch: (done, total) => options.onProgress?.({ done, total, stage: info.id }),
      });
      if (options.signal?.aborted) throw new LumenError('CANCELLED', 'explanation cancelled');
      return { method: info.id, attribution: attribute(res.gradients, input, options), targets: res.classes, extras: {}, timings };
    },
  });
}
