/**
 * The numbers behind each tabular plot as CSV text, written once for the CLI's files (`lumen pdp|ice|ale|importance|
 * shap --out`) and the web page's downloads: grid values labelled as their column shows them (a category's name).
 */
import type { AleResult } from '../methods/tabular/ale.js';
import type { ImportanceResult } from '../methods/tabular/importance.js';
import type { PdpResult } from '../methods/tabular/pdp.js';
import type { ShapResult } from '../methods/tabular/shap.js';
import { toCsv } from './csv.js';
import { valueLabel, type TabularColumn } from './dataset.js';

/** A PDP's average: grid value (a pair: both, first feature slowest) and average. `columns`: the result's features. */
export function pdpCsv(res: PdpResult, columns: readonly TabularColumn[]): string {
  const [g1, g2] = res.grid;
  const label = (a: number, v: number): string => valueLabel(columns[a]!, v);
  if (g2) return toCsv([...res.features, 'average'], g1!.flatMap((a, i) => g2.map((b, j) => [label(0, a), label(1, b), res.average[i * g2.length + j]!])));
  return toCsv([res.features[0]!, 'average'], g1!.map((v, p) => [label(0, v), res.average[p]!]));
}

/** ICE curves: one row per data row, one column per grid point (a pair's points labelled 'a × b', first slowest). */
export function iceCsv(res: PdpResult, columns: readonly TabularColumn[]): string {
  const [g1, g2] = res.grid;
  const points = g2 ? g1!.flatMap((a) => g2.map((b) => `${valueLabel(columns[0]!, a)} × ${valueLabel(columns[1]!, b)}`)) : g1!.map((v) => valueLabel(columns[0]!, v));
  const n = points.length;
  return toCsv(['row', ...points], Array.from({ length: res.rows }, (_, i) => [i, ...Array.from(res.individual.subarray(i * n, (i + 1) * n))]));
}

/** ALE at the bin edges (1-D: with the rows in the bin below each edge; a pair: both edges, first feature slowest). */
export function aleCsv(res: AleResult): string {
  const [z1, z2] = res.edges;
  return z2
    ? toCsv([...res.features, 'ale'], z1!.flatMap((a, i) => z2.map((b, j) => [a, b, res.values[i * z2.length + j]!])))
    : toCsv([res.features[0]!, 'ale', 'bin_count_below'], z1!.map((v, k) => [v, res.values[k]!, k === 0 ? 0 : res.counts[k - 1]!]));
}

/** Permutation importance: mean, std and every drop per feature. */
export function importanceCsv(res: ImportanceResult): string {
  const rows = res.features.map((f, j) => [f, res.mean[j]!, res.std[j]!, ...Array.from(res.drops.subarray(j * res.repeats, (j + 1) * res.repeats))]);
  return toCsv(['feature', 'mean', 'std', ...Array.from({ length: res.repeats }, (_, r) => `drop_${r}`)], rows);
}

/** Shapley values: row, base value, f(x) and φ per column, one line per explained row. */
export function shapCsv(res: ShapResult): string {
  const M = res.features.length;
  return toCsv(['row', 'base_value', 'f_x', ...res.features], res.rows.map((r, k) => [r, res.baseValue, res.fx[k]!, ...Array.from(res.values.subarray(k * M, (k + 1) * M))]));
}
