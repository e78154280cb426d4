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

/**
 * Several methods scored on the same images, side by side (as Quantus users compare methods): one row per metric,
 * one column per method, the best value of each row marked with '*'.
 */
export function formatComparison(evaluations: readonly Evaluation[], digits = 4): string {
  const fmt = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  const metrics = [...new Set(evaluations.flatMap((e) => e.results.map((r) => r.metric)))];
  const rows = metrics.map((metric) => {
    const results = evaluations.map((e) => e.results.find((r) => r.metric === metric));
    const higher = results.find((r) => r)?.higherIsBetter ?? true;
    const finite = results.map((r) => r?.value).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const best = finite.length > 1 ? (higher ? Math.max(...finite) : Math.min(...finite)) : undefined;
    return [metric, higher ? 'higher' : 'lower', ...results.map((r) => `${fmt(r?.value)}${best !== undefined && r?.value === best ? ' *' : ''}`)];
  });
  return table([['metric', 'better', ...evaluations.map((e) => e.method)], ...rows]);
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
