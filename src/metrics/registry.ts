import { NamedRegistry } from '../named-registry.js';
import type { OptionSpec } from '../methods/types.js';
import { parseOptionValues } from '../methods/validate.js';
import { checkMetricOptions } from './options.js';
import type { Metric, MetricContext, MetricDefinition, MetricInfo } from './types.js';

const metrics = new NamedRegistry<Metric>('UNKNOWN_METRIC', (s) => s.trim().toLowerCase().replace(/[\s_]/g, '-'));

/**
 * Add a metric under its id (each metric file calls this once). Its `compute` then receives its options checked
 * against `info.options` (src/metrics/options.ts `checkMetricOptions`: the words of explain and the CLI) and parsed
 * once (src/methods/validate.ts `parseOptionValues`: flag text converted, declared defaults applied), typed from the
 * declared list, whoever calls it (`evaluate`, a test, a caller of `compute`).
 */
export function registerMetric<const S extends readonly OptionSpec[]>(definition: MetricDefinition<S>): Metric {
  const compute = definition.compute.bind(definition);
  const metric: Metric = {
    info: definition.info,
    compute: (ctx: MetricContext) => {
      checkMetricOptions(definition.info, ctx.options);
      return compute({ ...ctx, options: parseOptionValues(definition.info.options, { ...ctx.options }) });
    },
  };
  metrics.add(metric.info.id, metric);
  return metric;
}

/** Lookup by id (case, spaces and underscores ignored); an unknown id is a usage error naming the closest ids. */
export const getMetric = (id: string): Metric => metrics.get(id);
export const hasMetric = (id: string): boolean => metrics.has(id);
export const listMetrics = (): MetricInfo[] => metrics.values().map((m) => m.info);
