/**
 * A tabular dataset (columns of a CSV) and its encoding into a feature-vector model's [N, F] input.
 *
 * Methods work in column space: one value per column, a category's index for a categorical column. The encoding
 * turns rows of column values into model features: each numeric column is one feature; a categorical column is one
 * feature (its value when the categories are numbers, its category index otherwise: 'ordinal') or one 0/1 feature per
 * category in sorted order ('onehot', as scikit-learn's OneHotEncoder lays them out). 'auto' picks whichever makes
 * the feature count equal the model's F.
 */
import { LumenError, closestNames } from '../errors.js';
import { ENCODING_OPTION } from '../methods/tabular/options.js';
import { parseCsv } from './csv.js';

export interface TabularColumn {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Sorted category labels of a categorical column (its values are indices into this list). */
  categories?: string[];
}

export interface TabularDataset {
  /** Name used in messages. */
  source: string;
  /** The feature columns (the target column excluded), in file order. */
  columns: TabularColumn[];
  rows: number;
  /** rows × columns, row-major; a categorical column holds category indices. */
  values: Float64Array;
  /** The target column's raw text, when `targetColumn` was given. */
  target?: { name: string; values: string[] };
}

export interface DatasetOptions {
  /** Column holding the label or regression target: kept aside, never a feature. */
  targetColumn?: string;
  /** Columns to treat as categorical even when their values are numbers (non-numeric columns always are). */
  categorical?: readonly string[];
  /** Columns to leave out besides the target (row ids, …). */
  ignore?: readonly string[];
  source?: string;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '?']);

/** Parse a CSV text (header row naming the columns) into a dataset. */
export function parseDataset(text: string, options: DatasetOptions = {}): TabularDataset {
  const source = options.source ?? 'CSV';
  const { header, rows } = parseCsv(text, source);
  if (rows.length === 0) throw new LumenError('BAD_OPTION', `${source}: the file has a header but no data rows`, 2);
  const requireColumn = (name: string, what: string): number => {
    const j = header.indexOf(name);
    if (j < 0) throw new LumenError('BAD_OPTION', `${what} '${name}' is not a column of ${source} (closest: ${closestNames(name, header, 3).join(', ')})`, 2);
    return j;
  };
  const targetIndex = options.targetColumn !== undefined ? requireColumn(options.targetColumn, '--target-column') : -1;
  const ignored = new Set((options.ignore ?? []).map((n) => requireColumn(n, 'ignored column')));
  const declared = new Set((options.categorical ?? []).map((n) => requireColumn(n, '--categorical column')));
  const featureIndices = header.map((_, j) => j).filter((j) => j !== targetIndex && !ignored.has(j));
  if (featureIndices.length === 0) throw new LumenError('BAD_OPTION', `${source}: no feature columns left (only the target or ignored columns)`, 2);

  const n = rows.length;
  const columns: TabularColumn[] = [];
  const values = new Float64Array(n * featureIndices.length);
  featureIndices.forEach((j, c) => {
    const name = header[j]!;
    const texts = rows.map((r) => r[j]!);
    const numbers = texts.map((t) => (MISSING.has(t.toLowerCase()) ? NaN : Number(t)));
    const missing = numbers.findIndex((v, i) => Number.isNaN(v) && MISSING.has(texts[i]!.toLowerCase()));
    if (missing >= 0) {
      throw new LumenError('BAD_OPTION', `${source}: column '${name}' has no value on data row ${missing + 1} ('${texts[missing]}'); Lumen does not impute missing values`, 2);
    }
    const numeric = numbers.every((v) => Number.isFinite(v));
    if (numeric && !declared.has(j)) {
      columns.push({ name, kind: 'numeric' });
      numbers.forEach((v, i) => (values[i * featureIndices.length + c] = v));
      return;
    }
    const unique = [...new Set(texts)];
    // numbers sort as numbers (so their category index follows their value), anything else as text
    const categories = numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
    const index = new Map(categories.map((k, i) => [k, i]));
    columns.push({ name, kind: 'categorical', categories });
    texts.forEach((t, i) => (values[i * featureIndices.length + c] = index.get(t)!));
  });
  return {
    source,
    columns,
    rows: n,
    values,
    target: targetIndex >= 0 ? { name: header[targetIndex]!, values: rows.map((r) => r[targetIndex]!) } : undefined,
  };
}

/** A dataset from numbers already in memory (all columns numeric unless `categories` are given per column). */
export function datasetFromRows(names: readonly string[], rows: readonly (readonly number[])[], options: { source?: string; target?: readonly (string | number)[]; targetName?: string } = {}): TabularDataset {
  const n = rows.length;
  const values = new Float64Array(n * names.length);
  rows.forEach((r, i) => {
    if (r.length !== names.length) throw new LumenError('BAD_OPTION', `row ${i} has ${r.length} values for ${names.length} columns`, 2);
    values.set(r, i * names.length);
  });
  return {
    source: options.source ?? 'dataset',
    columns: names.map((name) => ({ name, kind: 'numeric' })),
    rows: n,
    values,
    target: options.target ? { name: options.targetName ?? 'target', values: options.target.map(String) } : undefined,
  };
}

/** Index of a feature column by name, with the closest names in the error. */
export function columnIndex(dataset: TabularDataset, name: string): number {
  const j = dataset.columns.findIndex((c) => c.name === name);
  if (j < 0) {
    const names = dataset.columns.map((c) => c.name);
    const isTarget = dataset.target?.name === name;
    throw new LumenError('BAD_OPTION', isTarget ? `'${name}' is the target column, not a feature` : `no feature column '${name}' in ${dataset.source} (closest: ${closestNames(name, names, 3).join(', ')})`, 2);
  }
  return j;
}

/** One column's values. */
export function columnValues(dataset: TabularDataset, j: number): Float64Array {
  const c = dataset.columns.length;
  const out = new Float64Array(dataset.rows);
  for (let i = 0; i < dataset.rows; i++) out[i] = dataset.values[i * c + j]!;
  return out;
}

export interface FeatureEncoding {
  mode: 'ordinal' | 'onehot';
  /** Model features (F). */
  width: number;
  /** First model feature of each column, and how many it spans. */
  offsets: number[];
  spans: number[];
  /** Model feature names ('colour=red' for one-hot features). */
  featureNames: string[];
}

/**
 * How the dataset's columns become the model's F features. `mode` 'auto' chooses ordinal when the column count is
 * F and one-hot when the one-hot width is F; `modelFeatures` undefined (an open F) means ordinal.
 */
export function featureEncoding(
  dataset: TabularDataset,
  modelFeatures: number | undefined,
  mode: (typeof ENCODING_OPTION.choices)[number] = ENCODING_OPTION.default,
): FeatureEncoding {
  const cols = dataset.columns;
  const oneHotWidth = cols.reduce((a, c) => a + (c.kind === 'categorical' ? c.categories!.length : 1), 0);
  const hasCategorical = cols.some((c) => c.kind === 'categorical');
  let chosen: 'ordinal' | 'onehot';
  if (mode === 'auto') {
    if (modelFeatures === undefined || modelFeatures === cols.length) chosen = 'ordinal';
    else if (hasCategorical && modelFeatures === oneHotWidth) chosen = 'onehot';
    else {
      const oneHot = hasCategorical ? ` (${oneHotWidth} with the categorical columns one-hot encoded)` : '';
      throw new LumenError('INPUT_SHAPE', `the model takes ${modelFeatures} features but ${dataset.source} has ${cols.length} feature columns${oneHot}; drop extra columns (--target-column, --ignore) or declare categorical ones (--categorical)`, 2);
    }
  } else {
    chosen = mode;
    const width = mode === 'onehot' ? oneHotWidth : cols.length;
    if (modelFeatures !== undefined && width !== modelFeatures) {
      throw new LumenError('INPUT_SHAPE', `the model takes ${modelFeatures} features but the ${mode} encoding of ${dataset.source} gives ${width}`, 2);
    }
  }
  const offsets: number[] = [];
  const spans: number[] = [];
  const featureNames: string[] = [];
  let at = 0;
  for (const c of cols) {
    const span = chosen === 'onehot' && c.kind === 'categorical' ? c.categories!.length : 1;
    offsets.push(at);
    spans.push(span);
    if (span === 1) featureNames.push(c.name);
    else for (const k of c.categories!) featureNames.push(`${c.name}=${k}`);
    at += span;
  }
  return { mode: chosen, width: at, offsets, spans, featureNames };
}

/** Encode `n` rows of column values (row-major, as `TabularDataset.values`) into model features. */
export function encodeRows(dataset: TabularDataset, encoding: FeatureEncoding, values: Float64Array, n: number, out = new Float32Array(n * encoding.width)): Float32Array {
  const cols = dataset.columns;
  const c = cols.length;
  const F = encoding.width;
  out.fill(0, 0, n * F);
  // a categorical column's value in the ordinal encoding: the category itself when it is a number
  const ordinalValue = cols.map((col) => (col.kind === 'categorical' && col.categories!.every((k) => Number.isFinite(Number(k))) ? col.categories!.map(Number) : undefined));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const v = values[i * c + j]!;
      const o = i * F + encoding.offsets[j]!;
      if (encoding.spans[j]! > 1) out[o + v] = 1;
      else out[o] = ordinalValue[j]?.[v] ?? v;
    }
  }
  return out;
}

/** Display text of a column value (the category label for a categorical column). */
export function valueLabel(column: TabularColumn, value: number): string {
  return column.kind === 'categorical' ? (column.categories![value] ?? String(value)) : String(value);
}
