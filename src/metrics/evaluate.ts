import { LumenError, throwIfCancelled } from '../errors.js';
import { describeValue } from '../options.js';
import { checkMetricOptions } from './options.js';
import type { LumenModel } from '../model.js';
import { getMethod } from '../methods/registry.js';
import type { Explanation, Method, ProgressEvent } from '../methods/types.js';
import { resolveBatchTargets, seedRows, specKind, specTensor, type TargetSpec } from '../targets/index.js';
import type { Tensor } from '../tensor.js';
import { getMetric } from './registry.js';
import { mean } from './stats.js';
import type { Explainer, MetricContext, MetricDetails, MetricResult, Region, ReExplain } from './types.js';

/** What `lumen explain --score` reports when no metric is named. */
export const DEFAULT_METRICS: readonly string[] = ['deletion', 'insertion', 'class-discrimination'];

export interface EvaluateOptions {
  /** The method being judged (id or object); used to compute the attribution and to re-explain. */
  method?: Method | string;
  /** Alternative to `method`: any function with the shape of `Method.explain`. */
  explainer?: Explainer;
  /** An attribution already computed for `input` (skips the first explanation; its targets are used). */
  explanation?: Explanation;
  /** Metric ids (default DEFAULT_METRICS). */
  metrics?: readonly string[];
  target?: TargetSpec;
  /** Options passed to every explain call (layer, steps, …). */
  methodOptions?: Readonly<Record<string, unknown>>;
  /** Per-metric options, e.g. { deletion: { pixelsPerStep: 8 } }. */
  metricOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Ground truth for localization metrics: one region for every image, or one per image. */
  regions?: Region | readonly Region[];
  seed?: number;
  /** Perturbed copies per forward pass (default 32). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent & { metric: string; image: number }) => void;
}

export interface Evaluation {
  /** Method id, or 'custom' for an explainer function / precomputed explanation. */
  method: string;
  targets: number[];
  explanation: Explanation;
  results: MetricResult[];
}

/**
 * Score an explanation method on a batch with the named metrics. Every metric sees one image at a time (its
 * perturbations are batched), and the table holds one value per image plus their mean.
 */
export async function evaluate(model: LumenModel, input: Tensor, options: EvaluateOptions = {}): Promise<Evaluation> {
  if (options === null || typeof options !== 'object') throw new LumenError('BAD_OPTION', `evaluate: options must be an object, got ${describeValue(options)}`, 2);
  const method = typeof options.method === 'string' ? getMethod(options.method) : options.method;
  const explainer: Explainer | undefined = options.explainer ?? (method ? (m, x, o) => method.explain(m, x, o) : undefined);
  const ids = options.metrics ?? DEFAULT_METRICS;
  const metrics = ids.map((id) => getMetric(id));
  for (const metric of metrics) checkMetricOptions(metric.info, options.metricOptions?.[metric.info.id]);
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 32;
  const baseOptions = { ...(options.methodOptions ?? {}), seed, batchSize, signal: options.signal };

  let explanation = options.explanation;
  if (!explanation) {
    if (!explainer) throw new LumenError('BAD_OPTION', 'evaluate needs a method, an explainer or a precomputed explanation', 2);
    explanation = await explainer(model, input, { ...baseOptions, target: options.target });
  }
  const n = input.dims[0] ?? 1;
  const attrN = explanation.attribution.dims[0] ?? 1;
  if (attrN !== n) throw new LumenError('BAD_OPTION', `the explanation holds ${attrN} attributions for ${n} images`, 2);
  const targets = explanation.targets;
  // Targets other than a class of the [N, K] logits are scored with their own scalar (resolved as the explanation did)
  const kind = specKind(options.target);
  const resolved = (kind !== 'class' && kind !== 'weights') || specTensor(options.target) !== undefined ? await resolveBatchTargets(model, input, options.target) : undefined;
  if (!resolved && targets.some((t) => t < 0)) {
    throw new LumenError('BAD_OPTION', 'metrics need one explained class per image; a weighted combination of outputs (target w:…) cannot be scored', 2);
  }
  const regions = options.regions === undefined ? undefined : isRegionList(options.regions) ? options.regions : new Array<Region>(n).fill(options.regions);
  if (regions && regions.length !== n) throw new LumenError('BAD_OPTION', `${regions.length} regions given for ${n} images`, 2);

  const results: MetricResult[] = [];
  for (const metric of metrics) {
    const id = metric.info.id;
    const started = Date.now();
    const values: number[] = [];
    const details: MetricDetails[] = [];
    for (let i = 0; i < n; i++) {
      throwIfCancelled(options.signal, 'evaluation');
      const target = targets[i]!;
      const explain: ReExplain | undefined = explainer
        ? async (x, request = {}) => (await explainer(request.model ?? model, x, { ...baseOptions, target: request.target ?? (resolved ? options.target : target) })).attribution
        : undefined;
      const ctx: MetricContext = {
        model,
        input: input.item(i),
        attribution: explanation.attribution.item(i),
        target,
        ...(resolved ? { targets: { ...resolved, classes: [resolved.classes[i]!], seed: seedRows(resolved, 1, () => i) } } : {}),
        explain,
        region: regions?.[i],
        seed,
        batchSize,
        signal: options.signal,
        progress: (done, total) => options.onProgress?.({ done, total, stage: id, metric: id, image: i }),
        options: options.metricOptions?.[id] ?? {},
      };
      const score = await metric.compute(ctx);
      values.push(score.value);
      details.push(score.details);
    }
    results.push({
      metric: id,
      title: metric.info.title,
      category: metric.info.category,
      higherIsBetter: metric.info.higherIsBetter,
      value: mean(values.filter((v) => Number.isFinite(v))),
      values,
      details,
      ms: Date.now() - started,
    });
  }
  return { method: method?.info.id ?? 'custom', targets, explanation, results };
}

function isRegionList(r: Region | readonly Region[]): r is readonly Region[] {
  return Array.isArray(r);
}
