import { LumenError } from '../../errors.js';

/**
 * Most Gauss–Legendre points: their setup is O(steps²) and synchronous, so no AbortSignal is seen while it runs
 * (2 000 ≈ 0.3 s, 10 000 ≈ 7 s on a loaded CPU); far beyond Captum's usual 50–300. Riemann rules are O(steps).
 */
export const MAX_GAUSS_LEGENDRE_STEPS = 2_000;

export const INTEGRATION_METHODS = ['gausslegendre', 'riemann_left', 'riemann_right', 'riemann_middle', 'riemann_trapezoid'] as const;
export type IntegrationMethod = (typeof INTEGRATION_METHODS)[number];

/**
 * Path points α_i in [0, 1] and weights w_i, as Captum's approximation_methods: Riemann rules use
 * torch.linspace (float32) with w_i = 1/n — the trapezoid halves w_0 and w_{n−1}, so its weights sum to (n−1)/n —
 * and Gauss–Legendre uses numpy's leggauss nodes mapped to [0, 1] with halved weights.
 */
export function integrationPoints(method: IntegrationMethod, n: number): { alphas: number[]; weights: number[] } {
  if (!Number.isInteger(n) || n < 2) throw new LumenError('BAD_OPTION', `steps=${n}: integrated gradients needs at least 2 steps`, 2);
  if (method === 'gausslegendre') {
    if (n > MAX_GAUSS_LEGENDRE_STEPS) {
      throw new LumenError('BAD_OPTION', `steps=${n}: gausslegendre takes at most ${MAX_GAUSS_LEGENDRE_STEPS} steps (its setup is quadratic in the steps); use a riemann_* method for more`, 2);
    }
    const { nodes, weights } = legendreGauss(n);
    return { alphas: nodes.map((x) => 0.5 * (1 + x)), weights: weights.map((w) => 0.5 * w) };
  }
  const weights = new Array<number>(n).fill(1 / n);
  let alphas: number[];
  switch (method) {
    case 'riemann_trapezoid':
      weights[0]! /= 2;
      weights[n - 1]! /= 2;
      alphas = linspace32(0, 1, n);
      break;
    case 'riemann_left':
      alphas = linspace32(0, 1 - 1 / n, n);
      break;
    case 'riemann_right':
      alphas = linspace32(1 / n, 1, n);
      break;
    case 'riemann_middle':
      alphas = linspace32(1 / (2 * n), 1 - 1 / (2 * n), n);
      break;
    default:
      throw new LumenError('BAD_OPTION', `unknown integration method '${String(method)}' (${INTEGRATION_METHODS.join(', ')})`, 2);
  }
  return { alphas, weights };
}

/** torch.linspace in float32: the first half stepped from the start, the second half from the end. */
function linspace32(start: number, end: number, n: number): number[] {
  const s = Math.fround(start);
  const e = Math.fround(end);
  const step = Math.fround((e - s) / (n - 1));
  return Array.from({ length: n }, (_, i) => (i < n / 2 ? Math.fround(s + step * i) : Math.fround(e - step * (n - 1 - i))));
}

/** The Legendre polynomial P_n at x and its derivative, by the three-term recurrence. */
function legendre(n: number, x: number): { p: number; dp: number } {
  let p0 = 1;
  let p1 = x;
  for (let k = 2; k <= n; k++) {
    const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
    p0 = p1;
    p1 = p2;
  }
  return { p: p1, dp: (n * (x * p1 - p0)) / (x * x - 1) };
}

/** Gauss–Legendre nodes (ascending, as numpy.polynomial.legendre.leggauss) and weights on [−1, 1], by Newton's method. */
export function legendreGauss(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let iter = 0; iter < 100; iter++) {
      const { p, dp } = legendre(n, x);
      const dx = p / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    // the derivative at the converged node gives the weight
    const { dp } = legendre(n, x);
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[(n - 1) / 2] = 0;
  return { nodes, weights };
}
