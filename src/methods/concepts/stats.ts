/** Two-sample t-tests and the Student t distribution (for TCAV's significance test). */
import { mean as meanOf } from '../../metrics/stats.js';

export interface TTestResult {
  t: number;
  df: number;
  /** Two-sided p-value. */
  pValue: number;
}

/** Mean and sample variance (n − 1), the spread the t-test pools (the web app's TCAV table shows its root). */
export function meanVar(x: readonly number[]): { mean: number; variance: number } {
  const mean = meanOf(x);
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1);
  return { mean, variance };
}

/**
 * Student's two-sample t-test with pooled variance, two-sided: scipy.stats.ttest_ind's default (equal_var=True),
 * which the TCAV reference implementation (tensorflow/tcav, Kim et al. 2018) uses.
 */
export function studentTTest(a: readonly number[], b: readonly number[]): TTestResult {
  if (a.length < 2 || b.length < 2) throw new Error(`internal: t-test needs ≥ 2 values per sample, got ${a.length} and ${b.length}`);
  const A = meanVar(a);
  const B = meanVar(b);
  const df = a.length + b.length - 2;
  const pooled = ((a.length - 1) * A.variance + (b.length - 1) * B.variance) / df;
  const se = Math.sqrt(pooled * (1 / a.length + 1 / b.length));
  const diff = A.mean - B.mean;
  // identical constant samples: no evidence of a difference (scipy gives NaN; we report p = 1)
  if (se === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df, pValue: diff === 0 ? 1 : 0 };
  const t = diff / se;
  return { t, df, pValue: studentTwoSided(t, df) };
}

/** P(|T| ≥ |t|) for Student's t with df degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** ln Γ(x), Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for x > 0. */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = c[0]!;
  for (let i = 1; i < 9; i++) s += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularized incomplete beta I_x(a, b) by its continued fraction (Numerical Recipes betacf, modified Lentz). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - (front * betaFraction(1 - x, b, a)) / b;
  return (front * betaFraction(x, a, b)) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  // one modified-Lentz step with the coefficient aa: updates d and c, returns the factor for h
  const step = (aa: number): number => {
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    return d * c;
  };
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    h *= step((m * (b - m) * x) / ((a + m2 - 1) * (a + m2)));
    const del = step((-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)));
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}
