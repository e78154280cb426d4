import type { OptionSpec } from '../types.js';
import { ALE_OPTIONS, ICE_OPTIONS, IMPORTANCE_OPTIONS, PDP_OPTIONS, SHAP_OPTIONS } from './options.js';

/**
 * What each tabular method is (drives the CLI's commands and flags, the web page's method list and form fields, and
 * the HTML report's captions).
 */
export interface TabularMethodInfo {
  /** CLI command. */
  id: 'pdp' | 'ice' | 'ale' | 'importance' | 'shap';
  title: string;
  summary: string;
  /** Model rows evaluated (n = data rows, g = grid points, K = bins, c = columns, b = background rows). */
  cost: string;
  reference: string;
  /** Its options (options.ts), as the image methods declare theirs: the CLI flags and the web form fields. */
  options: readonly OptionSpec[];
}

export const TABULAR_METHODS: readonly TabularMethodInfo[] = [
  {
    id: 'pdp',
    title: 'Partial dependence',
    summary: 'The mean response when a feature (or a pair) is set to each grid value in every row: the average effect of the feature, which mixes in unrealistic rows when features are correlated.',
    cost: 'n·g rows (n·g1·g2 for a pair)',
    reference: 'scikit-learn partial_dependence(method="brute"); Friedman 2001',
    options: PDP_OPTIONS,
  },
  {
    id: 'ice',
    title: 'Individual conditional expectation',
    summary: "Each row's response as one feature moves over the grid (optionally centered at the first grid point): the curves a PDP averages, showing interactions as diverging shapes.",
    cost: 'n·g rows',
    reference: 'scikit-learn partial_dependence(kind="both"); Goldstein et al. 2015',
    options: ICE_OPTIONS,
  },
  {
    id: 'ale',
    title: 'Accumulated local effects',
    summary: "Local changes of the response across quantile bins of a feature, accumulated and centered: each row moves only within its own bin, so correlated features are not extrapolated. A pair gives the second-order (interaction-only) effect.",
    cost: '2n rows (4n for a pair)',
    reference: "Apley & Zhu 2020; Apley's R package ALEPlot",
    options: ALE_OPTIONS,
  },
  {
    id: 'importance',
    title: 'Permutation importance',
    summary: 'How much a score (accuracy, R², …) drops when one column is shuffled, mean ± standard deviation over repeats.',
    cost: 'n·(1 + c·repeats) rows',
    reference: 'scikit-learn permutation_importance; Breiman 2001',
    options: IMPORTANCE_OPTIONS,
  },
  {
    id: 'shap',
    title: 'Shapley values (KernelSHAP / exact)',
    summary: "Each column's share of f(x) − E[f] for one row, with absent columns taken from a background sample; they sum to that difference exactly.",
    cost: 'per row: b·coalitions rows (KernelSHAP: min(numSamples, 2^c − 2); exact: 2^c)',
    reference: 'shap KernelExplainer (interventional, background sample); Lundberg & Lee 2017',
    options: SHAP_OPTIONS,
  },
];
