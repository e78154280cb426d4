/**
 * The options of the tabular methods, declared once as OptionSpecs (src/methods/types.ts), as the image methods
 * declare theirs: `lumen pdp|ice|ale|importance|shap` builds its flags from these lists, the web app's tabular page its
 * form fields, and each method checks and parses what it is given with the image methods' validator
 * (src/methods/validate.ts: the same words for a bad value from the API, a flag or a form field). A default that
 * depends on the data is not declared (the description says it) and is applied by the method.
 */
import { LumenError } from '../../errors.js';
import { describeValue } from '../../options.js';
import { seedOption } from '../common-options.js';
import type { ExplainOptions, OptionSpec, OptionValues } from '../types.js';
import { checkedOptionValues } from '../validate.js';

/** Grid points per feature when none is given: one feature, and each axis of a pair. */
export const GRID_RESOLUTION = { one: 100, pair: 20 } as const;

const kind = {
  name: 'kind',
  type: 'enum',
  choices: ['uniform', 'quantile'],
  default: 'uniform',
  description: "grid: 'uniform' (evenly spaced between the percentiles, as scikit-learn) or 'quantile' (data quantiles between them)",
} as const satisfies OptionSpec;
const resolution = { name: 'resolution', type: 'integer', min: 2 } as const;
const percentiles = { name: 'percentiles', type: 'string', default: '0.05,0.95', description: 'grid range: lower and upper percentile of the data, as fractions lo,hi' } as const satisfies OptionSpec;
const centered = { name: 'centered', type: 'boolean', default: false, description: "centered ICE: subtract each curve's value at the first grid point" } as const satisfies OptionSpec;
const iceCurves = { name: 'iceCurves', type: 'integer', min: 0, description: 'ICE curves drawn in the plot (evenly spaced rows; the numbers hold all of them)' } as const;

/** featureGrid's options (and the grid part of partialDependence's). */
export const GRID_OPTIONS = [
  kind,
  {
    ...resolution,
    description: `grid points per feature, fewer when a feature has fewer unique values; default ${GRID_RESOLUTION.one}, ${GRID_RESOLUTION.pair} per axis for a pair`,
  },
  percentiles,
] as const satisfies readonly OptionSpec[];

export const PDP_OPTIONS = [...GRID_OPTIONS, centered, { ...iceCurves, default: 0 }] as const satisfies readonly OptionSpec[];

/** ICE is partialDependence with its curves drawn: a coarser default grid for one feature (a pair keeps the PDP's). */
export const ICE_OPTIONS = [
  kind,
  { ...resolution, default: 50, description: `grid points, fewer when the feature has fewer unique values (${GRID_RESOLUTION.pair} per axis for a pair)` },
  percentiles,
  centered,
  { ...iceCurves, default: 50 },
] as const satisfies readonly OptionSpec[];

export const ALE_OPTIONS = [
  { name: 'bins', type: 'integer', min: 1, default: 20, description: 'quantile bins per feature (fewer when values repeat)' },
] as const satisfies readonly OptionSpec[];

export const IMPORTANCE_METRICS = ['accuracy', 'log-loss', 'r2', 'mse', 'mae'] as const;

export const IMPORTANCE_OPTIONS = [
  { name: 'repeats', type: 'integer', min: 1, default: 5, description: "shuffles per column (scikit-learn's n_repeats)" },
  {
    name: 'metric',
    type: 'enum',
    choices: IMPORTANCE_METRICS,
    description: 'score: accuracy or log-loss for a classifier (default accuracy), r2, mse or mae for a regression output (default r2)',
  },
  seedOption('seed of the shuffles'),
] as const satisfies readonly OptionSpec[];

/** The most columns exact Shapley values take (2^M coalitions per row). */
export const MAX_EXACT_FEATURES = 16;

export const SHAP_OPTIONS = [
  { name: 'rows', type: 'string', default: '0', description: 'data rows to explain: 0-based indices and ranges such as 0,3,10-14' },
  { name: 'background', type: 'integer', min: 1, default: 100, description: 'background rows drawn from the data without replacement (all rows when fewer); the API also takes a list of row indices' },
  {
    name: 'algorithm',
    type: 'enum',
    choices: ['kernel', 'exact'],
    default: 'kernel',
    description: `'kernel' (KernelSHAP) or 'exact' (all 2^M coalitions, M ≤ ${MAX_EXACT_FEATURES} columns)`,
  },
  { name: 'numSamples', type: 'integer', min: 1, description: 'KernelSHAP coalitions per row; default 2·M + 2048 (M columns), capped at 2^M − 2 (then exact)' },
  seedOption('seed of the background sample and the coalitions'),
] as const satisfies readonly OptionSpec[];

/** How categorical columns reach the model (featureEncoding in src/tabular/dataset.ts). */
export const ENCODING_OPTION = {
  name: 'encoding',
  type: 'enum',
  choices: ['auto', 'ordinal', 'onehot'],
  default: 'auto',
  description: "categorical columns: 'auto' (ordinal or one-hot, whichever matches the model's feature count), 'ordinal' or 'onehot'",
} as const satisfies OptionSpec;

/** TabularModel.create's options: how the dataset reaches the model and which response is explained. */
export const TABULAR_MODEL_OPTIONS = [
  ENCODING_OPTION,
  {
    name: 'output',
    type: 'enum',
    choices: ['probability', 'raw'],
    description: "'probability' (softmax of the output) or 'raw' (the output as it is); default raw when the output already holds probabilities or has one column",
  },
  { name: 'maxBatchRows', type: 'integer', min: 1, max: Infinity, default: 65536, description: 'most rows per ONNX Runtime run' },
] as const satisfies readonly OptionSpec[];

const bad = (who: string, message: string): LumenError => new LumenError('BAD_OPTION', `${who}: ${message}`, 2);

/**
 * A tabular method's options checked against its declared list and parsed (defaults applied, flag or form text read
 * as its type) by the image methods' validator (checkedOptionValues), so they read in the words of every other entry
 * point (`who: name must be …`). Undeclared names pass (the API's own extras: an explicit `grid`, progress
 * callbacks); the result is typed with the declared ones.
 */
export function tabularOptions<const S extends readonly OptionSpec[]>(specs: S, options: object | undefined, who: string): OptionValues<S> {
  const given = options ?? {};
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw bad(who, `options must be an object, got ${describeValue(options)}`);
  // (a 'string' option — percentiles, rows — comes with its declared default when not given; the method reads it)
  return checkedOptionValues(specs, given as ExplainOptions, who);
}

/**
 * Grid percentiles as [lo, hi] with 0 ≤ lo < hi ≤ 1: a pair of numbers (API) or 'lo,hi' (a flag or form field).
 */
export function percentilesOption(v: unknown, who: string): [number, number] {
  const pair = typeof v === 'string' ? v.split(',').map((s) => (s.trim() === '' ? NaN : Number(s))) : v;
  if (Array.isArray(pair) && pair.length === 2) {
    const [lo, hi] = pair as unknown[];
    if (typeof lo === 'number' && typeof hi === 'number' && lo >= 0 && hi <= 1 && lo < hi) return [lo, hi];
  }
  throw bad(who, `percentiles must be two fractions lo,hi with 0 ≤ lo < hi ≤ 1, got ${describeValue(v)}`);
}

/**
 * Data rows (0-based) of a dataset of `n` rows: a number, a list of numbers (API) or text with indices and ranges
 * such as '0,3,10-14' (a flag or form field). At least one row; each in 0…n−1.
 */
export function rowsOption(v: unknown, name: string, n: number, source: string, who: string): number[] {
  const notARow = (r: unknown): LumenError => bad(who, `${name}: ${typeof r === 'number' ? r : describeValue(r)} is not a data row of ${source} (0…${n - 1})`);
  let rows: unknown[] | undefined;
  if (typeof v === 'number') rows = [v];
  else if (Array.isArray(v)) rows = v;
  else if (typeof v === 'string') {
    rows = [];
    for (const part of v.split(',').map((s) => s.trim())) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) {
        rows = undefined;
        break;
      }
      const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
      if (b >= n) throw notARow(b);
      for (let r = a; r <= b; r++) rows.push(r);
    }
  }
  if (!rows || rows.length === 0) throw bad(who, `${name} must be row indices and ranges such as 0,3,10-14, got ${describeValue(v)}`);
  for (const r of rows) if (!(typeof r === 'number' && Number.isInteger(r) && r >= 0 && r < n)) throw notARow(r);
  return [...rows] as number[];
}
