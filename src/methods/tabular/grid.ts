/**
 * Grids and bins over one feature's values.
 * - 'uniform' (scikit-learn's partial_dependence grid): the sorted unique values when there are fewer than
 *   `resolution` of them, else `resolution` evenly spaced points between the `percentiles` of the data
 *   (scipy.stats.mstats.mquantiles, its default plotting positions alphap = betap = 0.4).
 * - 'quantile': the unique values when fewer than `resolution`, else the data's quantiles at `resolution` evenly
 *   spaced probabilities between the percentiles (linear interpolation, numpy's default), duplicates removed.
 * - ALE bins (Apley's ALEPlot): edges z_0 = min, z_k = the type-1 quantile (inverse empirical CDF) at k/K, duplicates
 *   removed; bin k holds the values in (z_{k−1}, z_k], the first bin also z_0.
 */
import { LumenError } from '../../errors.js';
import type { OptionValues } from '../types.js';
import { ALE_OPTIONS, GRID_OPTIONS, GRID_RESOLUTION, percentilesOption, tabularOptions } from './options.js';

export type GridKind = (typeof GRID_OPTIONS)[0]['choices'][number];

/** The grid options, typed from GRID_OPTIONS (options.ts: names, defaults, bounds); percentiles as [lo, hi] or 'lo,hi'. */
export type GridOptions = Omit<Partial<OptionValues<typeof GRID_OPTIONS>>, 'percentiles'> & { percentiles?: readonly [number, number] | string };

/** A grid's settings once checked, defaults applied. */
export interface GridSettings {
  kind: GridKind;
  resolution: number;
  percentiles: [number, number];
}

/** The settings from GRID_OPTIONS' parsed values; an unset resolution is the default for one feature or a pair. */
export function gridSettings(o: OptionValues<typeof GRID_OPTIONS>, who: string, pair = false): GridSettings {
  return { kind: o.kind, resolution: o.resolution ?? (pair ? GRID_RESOLUTION.pair : GRID_RESOLUTION.one), percentiles: percentilesOption(o.percentiles, who) };
}

export function sortedUnique(values: ArrayLike<number>): number[] {
  return [...new Set(Array.from(values))].sort((a, b) => a - b);
}

/** scipy.stats.mstats.mquantiles(values, prob, alphap=0.4, betap=0.4). */
export function mquantile(sorted: readonly number[], p: number, alphap = 0.4, betap = 0.4): number {
  const n = sorted.length;
  const m = alphap + p * (1 - alphap - betap);
  const aleph = n * p + m;
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * sorted[k - 1]! + gamma * sorted[Math.min(k, n - 1)]!;
}

/** numpy.quantile(values, p) (linear interpolation between order statistics). */
export function linearQuantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** numpy.linspace(a, b, n) (endpoint included, computed as numpy does: a + i·step, the last point exactly b). */
export function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  const step = (b - a) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + i * step));
}

/** The grid of one feature's values (options checked as every tabular option; see GRID_OPTIONS). */
export function featureGrid(values: ArrayLike<number>, options: GridOptions = {}, name = 'feature'): number[] {
  return gridOf(values, gridSettings(tabularOptions(GRID_OPTIONS, options, 'featureGrid'), 'featureGrid'), name);
}

/** featureGrid on checked settings. */
export function gridOf(values: ArrayLike<number>, { kind, resolution, percentiles: [lo, hi] }: GridSettings, name: string): number[] {
  const unique = sortedUnique(values);
  if (unique.length < resolution) return unique;
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (kind === 'uniform') {
    const a = mquantile(sorted, lo);
    const b = mquantile(sorted, hi);
    if (Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b)) {
      throw new LumenError('BAD_OPTION', `'${name}': the ${lo} and ${hi} percentiles are equal (${a}); widen the percentiles`, 2);
    }
    return linspace(a, b, resolution);
  }
  return sortedUnique(linspace(lo, hi, resolution).map((p) => linearQuantile(sorted, p)));
}

export interface AleBins {
  /** K+1 edges z_0 < … < z_K. */
  edges: number[];
  /** Bin (0…K−1) of each value. */
  bin: Int32Array;
  /** Values per bin. */
  counts: number[];
}

/** ALEPlot's bins: quantile edges (type 1) at k/K, unique; value x goes to the bin whose upper edge is the first ≥ x. */
export function aleBins(values: ArrayLike<number>, bins: number, name = 'feature'): AleBins {
  tabularOptions(ALE_OPTIONS, { bins }, 'aleBins');
  return quantileBins(values, bins, name);
}

/** aleBins on a checked bin count. */
export function quantileBins(values: ArrayLike<number>, bins: number, name: string): AleBins {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const n = sorted.length;
  const edges = [sorted[0]!];
  for (let k = 1; k <= bins; k++) {
    const q = sorted[Math.max(0, Math.ceil((n * k) / bins - 1e-9) - 1)]!;
    if (q > edges[edges.length - 1]!) edges.push(q);
  }
  if (edges.length < 2) throw new LumenError('BAD_OPTION', `'${name}' has a single value (${edges[0]}): no ALE to compute`, 2);
  const K = edges.length - 1;
  const bin = new Int32Array(values.length);
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    // first upper edge ≥ x (binary search); z_0 itself belongs to bin 0
    let a = 1;
    let b = K;
    while (a < b) {
      const m = (a + b) >> 1;
      if (edges[m]! >= x) b = m;
      else a = m + 1;
    }
    bin[i] = a - 1;
    counts[a - 1]!++;
  }
  return { edges, bin, counts };
}
