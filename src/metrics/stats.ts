/**
 * Numeric helpers shared by the metrics: correlations, SSIM, Gini, entropy, trapezoid AUC and the insertion
 * metric's blur (the kernels live in src/image/blur.ts, the generators in src/random.ts). Everything works in float64 on plain arrays so results do not depend on tensor layout.
 */
import { convolveSeparable, gaussianBlurPlane, gaussianKernel } from '../image/blur.js';
import { minMaxNormalize } from '../math/min-max.js';

export { convolveSeparable, gaussianKernel, minMaxNormalize };


export type Numbers = ArrayLike<number>;

export function mean(v: Numbers): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.length ? s / v.length : NaN;
}

/** Pearson correlation; NaN when either vector is constant (correlation undefined). */
export function pearson(a: Numbers, b: Numbers): number {
  if (a.length !== b.length) throw new Error(`pearson: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  if (n < 2) return NaN;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return sab / Math.sqrt(saa * sbb);
}

/** Ranks 1..n, ties get the average of the ranks they span (as scipy.stats.rankdata 'average'). */
export function ranks(v: Numbers): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]!] === v[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman rank correlation: Pearson of average ranks (scipy.stats.spearmanr). */
export function spearman(a: Numbers, b: Numbers): number {
  return pearson(ranks(a), ranks(b));
}

/** Gaussian blur of one H×W plane with the insertion metric's defaults (`size` taps, `sigma` pixels, edges replicated). */
export function gaussianBlur(plane: Numbers, height: number, width: number, size = 11, sigma = 5): Float64Array {
  return gaussianBlurPlane(plane, height, width, { size, sigma, border: 'replicate' });
}

export interface SsimOptions {
  /** L in C1 = (0.01 L)², C2 = (0.03 L)²; default 1 (inputs are expected in [0,1]). */
  dataRange?: number;
  /** Window size (default 11, shrunk to the largest odd size that fits) and, for a Gaussian window, σ (default 1.5). */
  windowSize?: number;
  sigma?: number;
  /** 'gaussian' (default, Wang et al.) or 'uniform' (skimage's default window). */
  window?: 'gaussian' | 'uniform';
  /** Scale variances/covariance by N/(N−1), N = window pixels (skimage use_sample_covariance=True). Default false. */
  sampleCovariance?: boolean;
}

/** Options that reproduce skimage.metrics.structural_similarity(a, b, data_range=1) with its defaults (7×7 uniform, sample covariance). */
export const SKIMAGE_SSIM_DEFAULTS: SsimOptions = { window: 'uniform', windowSize: 7, sampleCovariance: true };

/**
 * Mean SSIM of two H×W images (Wang, Bovik, Sheikh, Simoncelli 2004): Gaussian window 11×11, σ = 1.5,
 * K1 = 0.01, K2 = 0.03, population (not sample) covariances, averaged over the positions where the whole
 * window fits inside the image (no padding; skimage reflect-pads and then crops the same border, so its mean is
 * over the same positions). With SKIMAGE_SSIM_DEFAULTS it is skimage's default structural_similarity.
 */
export function ssim(a: Numbers, b: Numbers, height: number, width: number, options: SsimOptions = {}): number {
  if (a.length !== height * width || b.length !== height * width) throw new Error('ssim: sizes do not match');
  const L = options.dataRange ?? 1;
  let win = Math.min(options.windowSize ?? 11, height, width);
  if (win % 2 === 0) win -= 1;
  const kernel = options.window === 'uniform' ? new Float64Array(win).fill(1 / win) : gaussianKernel(win, options.sigma ?? 1.5);
  const covNorm = options.sampleCovariance ? (win * win) / (win * win - 1) : 1;
  const prod = (f: (x: number, y: number) => number): Float64Array => {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, b[i]!);
    return out;
  };
  const filt = (p: Numbers): Float64Array => convolveSeparable(p, height, width, kernel, 'valid').data;
  const muA = filt(a);
  const muB = filt(b);
  const eAA = filt(prod((x) => x * x));
  const eBB = filt(prod((_, y) => y * y));
  const eAB = filt(prod((x, y) => x * y));
  const c1 = (0.01 * L) ** 2;
  const c2 = (0.03 * L) ** 2;
  let s = 0;
  for (let i = 0; i < muA.length; i++) {
    const ma = muA[i]!;
    const mb = muB[i]!;
    const va = covNorm * (eAA[i]! - ma * ma);
    const vb = covNorm * (eBB[i]! - mb * mb);
    const cov = covNorm * (eAB[i]! - ma * mb);
    s += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
  }
  return s / muA.length;
}

/**
 * Gini index of |v| (Hurley & Rickard 2009, as Chalasani et al. 2020 / Quantus Sparseness):
 * G = Σᵢ (2i − n − 1)·aᵢ / (n·Σ a) over a sorted ascending, i = 1..n. 0 = uniform, → 1 = one non-zero entry.
 */
export function gini(v: Numbers): number {
  const a = Float64Array.from(v, Math.abs).sort();
  const n = a.length;
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += a[i]!;
    weighted += (2 * (i + 1) - n - 1) * a[i]!;
  }
  return total > 0 ? weighted / (n * total) : 0;
}

/** Shannon entropy (natural log) of the distribution pᵢ = |vᵢ| / Σ|v| (Bhatt et al. 2020 complexity). */
export function entropy(v: Numbers): number {
  let total = 0;
  for (let i = 0; i < v.length; i++) total += Math.abs(v[i]!);
  if (!(total > 0)) return NaN;
  let h = 0;
  for (let i = 0; i < v.length; i++) {
    const p = Math.abs(v[i]!) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/** Area under y(x) by the trapezoid rule (x ascending). */
export function trapezoid(y: Numbers, x: Numbers): number {
  if (y.length !== x.length) throw new Error('trapezoid: x and y lengths differ');
  let s = 0;
  for (let i = 1; i < y.length; i++) s += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return s;
}

/** Euclidean (Frobenius) norm. */
export function norm2(v: Numbers): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}
