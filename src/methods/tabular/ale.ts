/**
 * Accumulated local effects (Apley & Zhu 2020), computed as Apley's R package ALEPlot does:
 * - 1-D (first order): quantile bins (grid.ts aleBins); in bin k the mean over its rows of
 *   f(z_k, x_\j) − f(z_{k−1}, x_\j); the effects accumulate from z_0; the curve is centered so that its mean over
 *   the data is zero (each bin counted at the midpoint of its two edge values, weighted by its rows).
 * - 2-D (second order): bins on both features; in each cell the mean second difference
 *   f(z1_k, z2_m) − f(z1_{k−1}, z2_m) − f(z1_k, z2_{m−1}) + f(z1_{k−1}, z2_{m−1}); an empty cell takes the value
 *   of the nearest non-empty cell (cell centres scaled by each feature's range); accumulated over both axes; the
 *   two first-order effects of the accumulated surface are removed and the result centered (ALEPlot's steps).
 * Only rows' own neighbourhoods are evaluated, so correlated features are never pushed far off the data (the
 * extrapolation a PDP suffers).
 */
import { LumenError } from '../../errors.js';
import { columnIndex, columnValues } from '../../tabular/dataset.js';
import { quantileBins } from './grid.js';
import type { TabularModel } from './model.js';
import type { OptionValues } from '../types.js';
import { ALE_OPTIONS, tabularOptions } from './options.js';

/** accumulatedLocalEffects' options, typed from ALE_OPTIONS (options.ts). */
export type AleOptions = Partial<OptionValues<typeof ALE_OPTIONS>>;

export interface AleResult {
  method: 'ale';
  features: string[];
  /** Bin edges per feature. */
  edges: number[][];
  /** Centered ALE at the edges: K+1 values (1-D) or (K1+1)·(K2+1) row-major (2-D). */
  values: Float64Array;
  /** The accumulated effects before centering (1-D) / before removing the main effects and centering (2-D). */
  uncentered: Float64Array;
  /** Rows per bin (1-D: K) or per cell (2-D: K1·K2 row-major). */
  counts: number[];
  responseLabel: string;
}

export async function accumulatedLocalEffects(tm: TabularModel, features: readonly string[], options: AleOptions = {}): Promise<AleResult> {
  if (features.length < 1 || features.length > 2) throw new LumenError('BAD_OPTION', `ALE takes one feature or a pair, got ${features.length}`, 2);
  const { bins } = tabularOptions(ALE_OPTIONS, options, 'accumulatedLocalEffects');
  const ds = tm.dataset;
  const cols = features.map((f) => columnIndex(ds, f));
  for (const [a, j] of cols.entries()) {
    if (ds.columns[j]!.kind === 'categorical') {
      throw new LumenError('BAD_OPTION', `ALE needs ordered values; '${features[a]}' is categorical (use a PDP for it)`, 2);
    }
  }
  if (cols.length === 2 && cols[0] === cols[1]) throw new LumenError('BAD_OPTION', `a 2-D ALE needs two different features, got '${features[0]}' twice`, 2);
  return cols.length === 1 ? ale1(tm, features[0]!, cols[0]!, bins) : ale2(tm, features as [string, string], cols as [number, number], bins);
}

async function ale1(tm: TabularModel, name: string, j: number, bins: number): Promise<AleResult> {
  const ds = tm.dataset;
  const n = ds.rows;
  const c = ds.columns.length;
  const { edges, bin, counts } = quantileBins(columnValues(ds, j), bins, name);
  const K = edges.length - 1;
  // rows 0…n−1 at their bin's lower edge, rows n…2n−1 at its upper edge: one batch
  const x = new Float64Array(2 * n * c);
  x.set(ds.values, 0);
  x.set(ds.values, n * c);
  for (let i = 0; i < n; i++) {
    x[i * c + j] = edges[bin[i]!]!;
    x[(n + i) * c + j] = edges[bin[i]! + 1]!;
  }
  tm.begin(2 * n, `ale ${name}`);
  const y = await tm.predict(x, 2 * n);
  const delta = new Float64Array(K);
  for (let i = 0; i < n; i++) delta[bin[i]!]! += y[n + i]! - y[i]!;
  const uncentered = new Float64Array(K + 1);
  for (let k = 0; k < K; k++) uncentered[k + 1] = uncentered[k]! + delta[k]! / counts[k]!;
  let mean = 0;
  for (let k = 0; k < K; k++) mean += (counts[k]! * (uncentered[k]! + uncentered[k + 1]!)) / 2;
  mean /= n;
  const values = uncentered.map((v) => v - mean);
  return { method: 'ale', features: [name], edges: [edges], values, uncentered, counts, responseLabel: tm.responseLabel };
}

async function ale2(tm: TabularModel, names: [string, string], [j1, j2]: [number, number], bins: number): Promise<AleResult> {
  const ds = tm.dataset;
  const n = ds.rows;
  const c = ds.columns.length;
  const b1 = quantileBins(columnValues(ds, j1), bins, names[0]);
  const b2 = quantileBins(columnValues(ds, j2), bins, names[1]);
  const [z1, z2] = [b1.edges, b2.edges];
  const [K1, K2] = [z1.length - 1, z2.length - 1];
  // each row at the four corners of its cell: (lo,lo) (hi,lo) (lo,hi) (hi,hi)
  const x = new Float64Array(4 * n * c);
  for (let corner = 0; corner < 4; corner++) {
    x.set(ds.values, corner * n * c);
    for (let i = 0; i < n; i++) {
      const r = (corner * n + i) * c;
      x[r + j1] = z1[b1.bin[i]! + (corner & 1)]!;
      x[r + j2] = z2[b2.bin[i]! + (corner >> 1)]!;
    }
  }
  tm.begin(4 * n, `ale ${names.join(' × ')}`);
  const y = await tm.predict(x, 4 * n);
  const sum = new Float64Array(K1 * K2);
  const count = new Array<number>(K1 * K2).fill(0);
  for (let i = 0; i < n; i++) {
    const cell = b1.bin[i]! * K2 + b2.bin[i]!;
    sum[cell]! += y[3 * n + i]! - y[2 * n + i]! - y[n + i]! + y[i]!;
    count[cell]!++;
  }
  const delta = new Float64Array(K1 * K2);
  const filled: number[] = [];
  for (let cell = 0; cell < K1 * K2; cell++) if (count[cell]! > 0) filled.push(cell);
  const r1 = z1[K1]! - z1[0]!;
  const r2 = z2[K2]! - z2[0]!;
  const centre = (cell: number): [number, number] => {
    const [k, m] = [Math.floor(cell / K2), cell % K2];
    return [(z1[k]! + z1[k + 1]!) / 2 / r1, (z2[m]! + z2[m + 1]!) / 2 / r2];
  };
  for (let cell = 0; cell < K1 * K2; cell++) {
    if (count[cell]! > 0) {
      delta[cell] = sum[cell]! / count[cell]!;
      continue;
    }
    const [a, b] = centre(cell);
    let best = filled[0]!;
    let bestD = Infinity;
    for (const f of filled) {
      const [fa, fb] = centre(f);
      const d = (fa - a) ** 2 + (fb - b) ** 2;
      if (d < bestD) [best, bestD] = [f, d];
    }
    delta[cell] = sum[best]! / count[best]!;
  }
  // accumulate over both axes onto the (K1+1)×(K2+1) edge grid
  const W = K2 + 1;
  const f = new Float64Array((K1 + 1) * W);
  for (let k = 1; k <= K1; k++) for (let m = 1; m <= K2; m++) f[k * W + m] = f[(k - 1) * W + m]! + f[k * W + m - 1]! - f[(k - 1) * W + m - 1]! + delta[(k - 1) * K2 + m - 1]!;
  const uncentered = f.slice();
  // remove the first-order effect of each feature that the accumulated surface contains
  const rows1 = new Array<number>(K1).fill(0);
  const rows2 = new Array<number>(K2).fill(0);
  for (let k = 0; k < K1; k++) for (let m = 0; m < K2; m++) {
    rows1[k]! += count[k * K2 + m]!;
    rows2[m]! += count[k * K2 + m]!;
  }
  const main1 = new Float64Array(K1 + 1);
  for (let k = 0; k < K1; k++) {
    let s = 0;
    for (let m = 0; m < K2; m++) {
      const d0 = f[(k + 1) * W + m]! - f[k * W + m]!;
      const d1 = f[(k + 1) * W + m + 1]! - f[k * W + m + 1]!;
      s += (count[k * K2 + m]! * (d0 + d1)) / 2;
    }
    main1[k + 1] = main1[k]! + s / rows1[k]!;
  }
  const main2 = new Float64Array(K2 + 1);
  for (let m = 0; m < K2; m++) {
    let s = 0;
    for (let k = 0; k < K1; k++) {
      const d0 = f[k * W + m + 1]! - f[k * W + m]!;
      const d1 = f[(k + 1) * W + m + 1]! - f[(k + 1) * W + m]!;
      s += (count[k * K2 + m]! * (d0 + d1)) / 2;
    }
    main2[m + 1] = main2[m]! + s / rows2[m]!;
  }
  for (let k = 0; k <= K1; k++) for (let m = 0; m <= K2; m++) f[k * W + m]! -= main1[k]! + main2[m]!;
  let mean = 0;
  for (let k = 0; k < K1; k++) for (let m = 0; m < K2; m++) {
    mean += (count[k * K2 + m]! * (f[k * W + m]! + f[k * W + m + 1]! + f[(k + 1) * W + m]! + f[(k + 1) * W + m + 1]!)) / 4;
  }
  mean /= n;
  for (let i = 0; i < f.length; i++) f[i]! -= mean;
  return { method: 'ale', features: [...names], edges: [z1, z2], values: f, uncentered, counts: count, responseLabel: tm.responseLabel };
}
