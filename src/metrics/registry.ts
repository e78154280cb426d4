import { unknownNameError } from '../errors.js';
import type { Metric, MetricInfo } from './types.js';

const metrics = new Map<string, Metric>();

/** Add a metric under its id (each metric file calls this once). */
export function registerMetric(metric: Metric): Metric {
  metrics.set(metric.info.id, metric);
  return metric;
}

export function getMetric(id: string): Metric {
  const m = metrics.get(normalize(id));
  if (!m) throw unknownNameError('UNKNOWN_METRIC', id, [...metrics.keys()]);
  return m;
}

export function hasMetric(id: string): boolean {
  return metrics.has(normalize(id));
}

export function listMetrics(): MetricInfo[] {
  return [...metrics.values()].map((m) => m.info);
}

function normalize(s: string): string {
  return s.trim().toLowerCase().replace(/[\s_]/g, '-');
}
