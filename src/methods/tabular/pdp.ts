/**
 * Partial dependence (Friedman 2001) and individual conditional expectation (Goldstein et al. 2015), by brute force
 * as scikit-learn's partial_dependence(method='brute'): for each grid value v, every row of the dataset with the
 * feature set to v goes through the model; ICE is each row's curve, PDP their mean. A 2-D PDP takes the Cartesian
 * product of two grids (the first feature varying slowest, as scikit-learn). All rows of one grid go to ONNX
 * Runtime together (split only above the model's batch limit).
 * Centered ICE subtracts each curve's value at the first grid point (c-ICE); the centered PDP is their mean.
 */
import { LumenError } from '../../errors.js';
import { columnIndex, columnValues, type TabularDataset } from '../../tabular/dataset.js';
import { gridOf, gridSettings, sortedUnique, type GridOptions, type GridSettings } from './grid.js';
import type { TabularModel } from './model.js';
import type { OptionValues } from '../types.js';
import { GRID_OPTIONS, PDP_OPTIONS, tabularOptions } from './options.js';

/**
 * partialDependence's options, typed from PDP_OPTIONS (options.ts; `iceCurves` is for a plot of the result, pdpSvg's,
 * and the computation ignores it), and an explicit grid.
 */
export type PdpOptions = Omit<Partial<OptionValues<typeof PDP_OPTIONS>>, keyof GridOptions> &
  GridOptions & {
    /** Explicit grid values per feature (overrides kind/resolution/percentiles). */
    grid?: readonly (readonly number[])[];
  };

export interface PdpResult {
  method: 'pdp';
  /** Feature (column) names: one for 1-D, two for 2-D. */
  features: string[];
  /** Grid values per feature (category indices for a categorical column). */
  grid: number[][];
  /** Mean response at each grid point: length g (1-D) or g1·g2 row-major (2-D, first feature slowest). */
  average: Float64Array;
  /** Each row's response, rows × grid points (row-major), centered when asked. */
  individual: Float64Array;
  rows: number;
  centered: boolean;
  responseLabel: string;
}

/** The grid of one column (all categories for a categorical column). */
export function columnGrid(dataset: TabularDataset, j: number, options: GridOptions = {}): number[] {
  return gridOfColumn(dataset, j, gridSettings(tabularOptions(GRID_OPTIONS, options, 'columnGrid'), 'columnGrid'));
}

function gridOfColumn(dataset: TabularDataset, j: number, settings: GridSettings): number[] {
  const col = dataset.columns[j]!;
  if (col.kind === 'categorical') return col.categories!.map((_, k) => k);
  return gridOf(columnValues(dataset, j), settings, col.name);
}

/** PDP and ICE of one feature or a pair (`features` are column names). */
export async function partialDependence(tm: TabularModel, features: readonly string[], options: PdpOptions = {}): Promise<PdpResult> {
  if (features.length < 1 || features.length > 2) throw new LumenError('BAD_OPTION', `partial dependence takes one feature or a pair, got ${features.length}`, 2);
  const o = tabularOptions(PDP_OPTIONS, options, 'partialDependence');
  const ds = tm.dataset;
  const cols = features.map((f) => columnIndex(ds, f));
  if (cols.length === 2 && cols[0] === cols[1]) throw new LumenError('BAD_OPTION', `a 2-D partial dependence needs two different features, got '${features[0]}' twice`, 2);
  const settings = gridSettings(o, 'partialDependence', cols.length === 2);
  const grids = cols.map((j, a) => {
    const given = options.grid?.[a];
    if (given) {
      if (given.length === 0 || given.some((v) => !Number.isFinite(v))) throw new LumenError('BAD_OPTION', `grid for '${features[a]}' must be finite numbers`, 2);
      return [...given];
    }
    return gridOfColumn(ds, j, settings);
  });
  const points = grids.reduce((a, g) => a * g.length, 1);
  const n = ds.rows;
  const c = ds.columns.length;
  tm.begin(n * points, `pdp ${features.join(' × ')}`);

  // one grid point after another: n rows each; a batch holds as many grid points as fit
  const individual = new Float64Array(n * points);
  const pointsPerRun = Math.max(1, Math.floor(tm.maxBatchRows / n));
  for (let p0 = 0; p0 < points; p0 += pointsPerRun) {
    const count = Math.min(pointsPerRun, points - p0);
    const x = new Float64Array(count * n * c);
    for (let q = 0; q < count; q++) {
      const p = p0 + q;
      const at = gridPoint(grids, p);
      x.set(ds.values, q * n * c);
      for (let i = 0; i < n; i++) cols.forEach((j, a) => (x[(q * n + i) * c + j] = at[a]!));
    }
    const y = await tm.predict(x, count * n);
    for (let q = 0; q < count; q++) for (let i = 0; i < n; i++) individual[i * points + p0 + q] = y[q * n + i]!;
  }
  if (o.centered) {
    for (let i = 0; i < n; i++) {
      const base = individual[i * points]!;
      for (let p = 0; p < points; p++) individual[i * points + p]! -= base;
    }
  }
  const average = new Float64Array(points);
  for (let i = 0; i < n; i++) for (let p = 0; p < points; p++) average[p]! += individual[i * points + p]!;
  for (let p = 0; p < points; p++) average[p]! /= n;
  return { method: 'pdp', features: [...features], grid: grids, average, individual, rows: n, centered: o.centered, responseLabel: tm.responseLabel };
}

/** Values of each feature at flat grid point p (first feature slowest). */
function gridPoint(grids: number[][], p: number): number[] {
  if (grids.length === 1) return [grids[0]![p]!];
  const g2 = grids[1]!.length;
  return [grids[0]![Math.floor(p / g2)]!, grids[1]![p % g2]!];
}

/** Data values of a column, for rug marks under a PDP (unique, sorted). */
export function columnRug(dataset: TabularDataset, j: number): number[] {
  return sortedUnique(columnValues(dataset, j));
}
