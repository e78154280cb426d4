import { NamedRegistry } from '../named-registry.js';
import type { Metric, MetricInfo } from './types.js';

const metrics = new NamedRegistry<Metric>('UNKNOWN_METRIC', (s) => s.trim().toLowerCase().replace(/[\s_]/g, '-'));

/** Add a metric under its id (each metric file calls this once). */
export function registerMetric(metric: Metric): Metric {
  metrics.add(metric.info.id, metric);
  return metric;
}

export function getMetric(id: string): Metric {
  return metrics.get(id);
}

export function hasMetric(id: string): boolean {
  return metrics.has(id);
}

export function listMetrics(): MetricInfo[] {
  return metrics.values().map((m) => m.info);
}
