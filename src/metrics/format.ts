import type { Evaluation } from './evaluate.js';
import type { MetricInfo } from './types.js';

/** Plain-text table of an evaluation (for the CLI and logs): one row per metric, values per image when several. */
export function formatEvaluation(evaluation: Evaluation, digits = 4): string {
  const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const rows = evaluation.results.map((r) => [
    r.metric,
    fmt(r.value),
    r.higherIsBetter ? 'higher' : 'lower',
    r.values.length > 1 ? r.values.map(fmt).join(' ') : '',
    `${r.ms} ms`,
  ]);
  const header = ['metric', 'value', 'better', evaluation.targets.length > 1 ? 'per image' : '', 'time'];
  return table([header, ...rows]);
}

/** Plain-text list of metrics: id, category, direction, cost. */
export function formatMetricList(metrics: readonly MetricInfo[]): string {
  return table([
    ['id', 'category', 'better', 'cost per image'],
    ...metrics.map((m) => [m.id, m.category, m.higherIsBetter ? 'higher' : 'lower', m.passes]),
  ]);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}
