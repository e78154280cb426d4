import { NamedRegistry } from '../named-registry.js';
import type { Metric, MetricInfo } from './types.js';

const metrics = new NamedRegistry<Metric>('UNKNOWN_METRIC', (s) => s.trim().toLowerCase().replace(/[\s_]/g, '-'));

/** Add a metric under its id (each metric file calls this once). */
export function registerMetric(metric: Metric): Metric {
  metrics.add(metric.info.id, metric);
  return metric;
}

/** Lookup by id (case, spaces and underscores ignored); an unknown id is a usage error naming the closest ids. */
export const getMetric = (id: string): Metric => metrics.get(id);
export const hasMetric = (id: string): boolean => metrics.has(id);
export const listMetrics = (): MetricInfo[] => metrics.values().map((m) => m.info);
