/**
 * Permutation feature importance (Breiman 2001; Fisher et al. 2019), as scikit-learn's permutation_importance:
 * the drop of a score (higher is better) when one column's values are shuffled across the rows, `repeats` times
 * with independent shuffles; reported as the mean and standard deviation of the drops. All repeats of one column
 * go through the model in one batch. Needs the dataset's target column.
 */
import { LumenError } from '../../errors.js';
import { Rng } from '../../random.js';
import type { TabularModel } from './model.js';
import type { OptionValues } from '../types.js';
import { IMPORTANCE_OPTIONS, tabularOptions, type IMPORTANCE_METRICS } from './options.js';

export type ImportanceMetric = (typeof IMPORTANCE_METRICS)[number];

/** permutationImportance's options, typed from IMPORTANCE_OPTIONS (options.ts: the metric's default depends on the output). */
export type ImportanceOptions = Partial<OptionValues<typeof IMPORTANCE_OPTIONS>>;

export interface ImportanceResult {
  method: 'importance';
  features: string[];
  metric: ImportanceMetric;
  /** Score on the unshuffled data ('log-loss', 'mse', 'mae' are negated so that higher is better). */
  baseline: number;
  /** Mean and standard deviation (population, as numpy's std) of the score drop per column. */
  mean: Float64Array;
  std: Float64Array;
  /** Every drop: columns × repeats, row-major. */
  drops: Float64Array;
  repeats: number;
}

export async function permutationImportance(tm: TabularModel, options: ImportanceOptions = {}): Promise<ImportanceResult> {
  const { repeats, seed, metric: given } = tabularOptions(IMPORTANCE_OPTIONS, options, 'permutationImportance');
  const ds = tm.dataset;
  if (!ds.target) throw new LumenError('BAD_OPTION', `permutation importance scores the model against the labels: name the label column of ${ds.source} (--target-column)`, 2);
  const classifier = tm.output === 'probability' || tm.outputs > 1;
  const metric = given ?? (classifier ? 'accuracy' : 'r2');
  if ((metric === 'accuracy' || metric === 'log-loss') !== classifier) {
    throw new LumenError('BAD_OPTION', `metric '${metric}' does not fit a ${classifier ? 'classifier' : 'regression output'} (use ${classifier ? 'accuracy or log-loss' : 'r2, mse or mae'})`, 2);
  }
  if (metric === 'log-loss' && tm.output !== 'probability') throw new LumenError('BAD_OPTION', `metric 'log-loss' needs probabilities (output 'probability')`, 2);
  const labels = parseLabels(tm, classifier);
  const score = (y: Float64Array, offset: number): number => scoreRows(metric, y, offset, labels, tm);

  const n = ds.rows;
  const c = ds.columns.length;
  const rng = new Rng(seed);
  tm.begin(n * (1 + c * repeats), 'permutation importance');
  const base = await (classifier ? tm.predictAll(ds.values, n) : tm.predict(ds.values, n));
  const baseline = score(base, 0);
  const drops = new Float64Array(c * repeats);
  const x = new Float64Array(repeats * n * c);
  for (let j = 0; j < c; j++) {
    for (let r = 0; r < repeats; r++) {
      x.set(ds.values, r * n * c);
      const perm = rng.permutation(n);
      for (let i = 0; i < n; i++) x[(r * n + i) * c + j] = ds.values[perm[i]! * c + j]!;
    }
    const y = await (classifier ? tm.predictAll(x, repeats * n) : tm.predict(x, repeats * n));
    for (let r = 0; r < repeats; r++) drops[j * repeats + r] = baseline - score(y, r * n);
  }
  const mean = new Float64Array(c);
  const std = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const d = drops.subarray(j * repeats, (j + 1) * repeats);
    const m = d.reduce((a, b) => a + b, 0) / repeats;
    mean[j] = m;
    std[j] = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / repeats);
  }
  return { method: 'importance', features: ds.columns.map((col) => col.name), metric, baseline, mean, std, drops, repeats };
}

/** Class indices (a classifier: integer labels or the model's class names) or numbers (a regression target). */
function parseLabels(tm: TabularModel, classifier: boolean): Float64Array {
  const { values, name } = tm.dataset.target!;
  const names = tm.model.classNames;
  return Float64Array.from(values, (text, i) => {
    const t = text.trim();
    if (classifier) {
      const byName = names?.indexOf(t) ?? -1;
      const k = byName >= 0 ? byName : /^\d+$/.test(t) ? Number(t) : /^\d+\.0*$/.test(t) ? Math.trunc(Number(t)) : NaN;
      if (!(k >= 0 && k < tm.outputs)) {
        throw new LumenError('BAD_OPTION', `target column '${name}', data row ${i + 1}: '${text}' is not a class of the model (an index 0…${tm.outputs - 1}${names ? ' or a class name' : ''})`, 2);
      }
      return k;
    }
    const v = Number(t);
    if (t === '' || !Number.isFinite(v)) throw new LumenError('BAD_OPTION', `target column '${name}', data row ${i + 1}: '${text}' is not a number`, 2);
    return v;
  });
}

/** Score of rows offset…offset+n−1 (y holds all outputs per row for a classifier, the response otherwise). */
function scoreRows(metric: ImportanceMetric, y: Float64Array, offset: number, labels: Float64Array, tm: TabularModel): number {
  const n = labels.length;
  const K = tm.outputs;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (metric === 'accuracy' || metric === 'log-loss') {
      const row = (offset + i) * K;
      if (metric === 'log-loss') {
        s -= Math.log(Math.min(Math.max(y[row + label]!, 1e-15), 1));
        continue;
      }
      let best = 0;
      for (let k = 1; k < K; k++) if (y[row + k]! > y[row + best]!) best = k;
      s += best === label ? 1 : 0;
    } else {
      const e = y[offset + i]! - label;
      s += metric === 'mae' ? Math.abs(e) : e * e;
    }
  }
  if (metric === 'r2') {
    const mean = labels.reduce((a, b) => a + b, 0) / n;
    const total = labels.reduce((a, b) => a + (b - mean) ** 2, 0);
    return 1 - s / (total || 1);
  }
  return metric === 'accuracy' ? s / n : -s / n;
}
