/**
 * Shapley values of the columns of one row (interventional, as shap's KernelExplainer with a background sample):
 * the value of a coalition S is the mean response over the background rows b of the row x with the columns outside
 * S taken from b. The base value is the mean response on the background; for each row Σφ = f(x) − base.
 * - 'kernel': KernelSHAP with the image KernelSHAP's coalition sampling and constrained solve
 *   (src/methods/perturbation/kernel-shap.ts); with numSamples ≥ 2^M − 2 every coalition is evaluated and the
 *   result is the exact Shapley value.
 * - 'exact': the Shapley formula over all 2^M coalitions (M ≤ MAX_EXACT_FEATURES columns).
 * A categorical column is one player (its one-hot features move together).
 */
import { LumenError } from '../../errors.js';
import { binomial } from '../../math/binomial.js';
import { Rng } from '../../random.js';
import { kernelShapCoalitions, solveShapley } from '../perturbation/kernel-shap.js';
import type { TabularModel } from './model.js';
import type { OptionValues } from '../types.js';
import { MAX_EXACT_FEATURES, rowsOption, SHAP_OPTIONS, tabularOptions } from './options.js';

/** shapValues' options, typed from SHAP_OPTIONS (options.ts: names, defaults, bounds), with the API's forms of the row lists. */
export type ShapOptions = Omit<Partial<OptionValues<typeof SHAP_OPTIONS>>, 'rows' | 'background'> & {
  /** Data rows to explain (0-based), or text such as '0,3,10-14'. */
  rows?: readonly number[] | number | string;
  /** Background rows: a count (drawn without replacement, seeded; all rows when fewer) or explicit row indices. */
  background?: number | readonly number[];
};

export interface ShapResult {
  method: 'shap';
  algorithm: NonNullable<ShapOptions['algorithm']>;
  features: string[];
  rows: number[];
  /** φ per explained row and column: rows × M, row-major. */
  values: Float64Array;
  baseValue: number;
  /** f(x) per explained row. */
  fx: Float64Array;
  backgroundRows: number[];
  /** Coalitions evaluated per row. */
  coalitions: number;
  responseLabel: string;
}

export { MAX_EXACT_FEATURES } from './options.js';

export async function shapValues(tm: TabularModel, options: ShapOptions = {}): Promise<ShapResult> {
  const who = 'shapValues';
  // explicit background rows are the API's own form (the declared option, as a flag or form field, is a count)
  const rowList = Array.isArray((options as ShapOptions | null)?.background);
  const o = tabularOptions(SHAP_OPTIONS, rowList ? { ...options, background: undefined } : options, who);
  const ds = tm.dataset;
  const M = ds.columns.length;
  const c = M;
  const rows = rowsOption(o.rows, 'rows', ds.rows, ds.source, who);
  const rng = new Rng(o.seed);
  const background = rowList ? rowsOption(options.background, 'background', ds.rows, ds.source, who) : pickBackground(o.background, ds.rows, rng);
  const nb = background.length;
  const algorithm = o.algorithm;
  if (algorithm === 'exact' && M > MAX_EXACT_FEATURES) {
    throw new LumenError('BAD_OPTION', `exact Shapley values need 2^${M} coalitions; use algorithm 'kernel' above ${MAX_EXACT_FEATURES} columns`, 2);
  }
  const plan = algorithm === 'exact' || M === 1 ? undefined : kernelShapCoalitions(M, o.numSamples, rng);
  const coalitions = algorithm === 'exact' ? 2 ** M : plan ? plan.count + 2 : 2;
  tm.begin(nb + rows.length * (algorithm === 'exact' ? coalitions * nb : (coalitions - 2) * nb + 1), `shap (${algorithm})`);

  const bgValues = new Float64Array(nb * c);
  background.forEach((b, i) => bgValues.set(ds.values.subarray(b * c, (b + 1) * c), i * c));
  const baseY = await tm.predict(bgValues, nb);
  const baseValue = mean(baseY, 0, nb);

  // value of each coalition (rows of a 0/1 mask) for row x: mean over the background
  const values = async (x: Float64Array, count: number, mask: (s: number, j: number) => boolean): Promise<Float64Array> => {
    const out = new Float64Array(count);
    const per = Math.max(1, Math.floor(tm.maxBatchRows / nb));
    for (let s0 = 0; s0 < count; s0 += per) {
      const k = Math.min(per, count - s0);
      const z = new Float64Array(k * nb * c);
      for (let q = 0; q < k; q++) {
        z.set(bgValues, q * nb * c);
        for (let j = 0; j < c; j++) {
          if (!mask(s0 + q, j)) continue;
          for (let b = 0; b < nb; b++) z[(q * nb + b) * c + j] = x[j]!;
        }
      }
      const y = await tm.predict(z, k * nb);
      for (let q = 0; q < k; q++) out[s0 + q] = mean(y, q * nb, nb);
    }
    return out;
  };

  const phi = new Float64Array(rows.length * M);
  const fx = new Float64Array(rows.length);
  for (const [r, row] of rows.entries()) {
    const x = ds.values.slice(row * c, (row + 1) * c);
    if (algorithm === 'exact') {
      const v = await values(x, coalitions, (s, j) => ((s >> j) & 1) === 1);
      fx[r] = v[coalitions - 1]!;
      phi.set(exactShapley(v, M), r * M);
      continue;
    }
    fx[r] = (await tm.predict(x, 1))[0]!;
    if (!plan) {
      phi[r * M] = fx[r]! - baseValue;
      continue;
    }
    const y = await values(x, plan.count, (s, j) => plan.masks[s * M + j] === 1);
    phi.set(solveShapley(plan.masks, plan.weights, y, plan.count, M, fx[r]!, baseValue), r * M);
  }
  return { method: 'shap', algorithm, features: ds.columns.map((col) => col.name), rows, values: phi, baseValue, fx, backgroundRows: background, coalitions, responseLabel: tm.responseLabel };
}

/** φ_j = Σ_{S ∌ j} |S|!(M−|S|−1)!/M! · (v(S ∪ j) − v(S)); `v` indexed by the coalition's bit mask. */
export function exactShapley(v: Float64Array, M: number): Float64Array {
  const weight = new Float64Array(M);
  for (let s = 0; s < M; s++) weight[s] = 1 / (M * binomial(M - 1, s));
  const popcount = (x: number): number => {
    let k = 0;
    for (; x; x &= x - 1) k++;
    return k;
  };
  const phi = new Float64Array(M);
  for (let S = 0; S < 1 << M; S++) {
    const w = weight[popcount(S)];
    for (let j = 0; j < M; j++) if (!((S >> j) & 1)) phi[j]! += w! * (v[S | (1 << j)]! - v[S]!);
  }
  return phi;
}

function mean(y: Float64Array, offset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += y[offset + i]!;
  return s / n;
}

/** `count` background rows drawn without replacement (all rows when there are no more). */
function pickBackground(count: number, rows: number, rng: Rng): number[] {
  if (count >= rows) return Array.from({ length: rows }, (_, i) => i);
  return Array.from(rng.permutation(rows).subarray(0, count)).sort((a, b) => a - b);
}
