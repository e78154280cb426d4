import { LumenError } from '../../errors.js';
import { mulberry32 } from '../../random.js';

/** V ≈ W·H with V [m, n], W [m, k], H [k, n], all non-negative, row-major. */
export interface NmfResult {
  m: number;
  n: number;
  k: number;
  W: Float64Array;
  H: Float64Array;
  /** ‖V − WH‖_F / ‖V‖_F at the end. */
  relativeError: number;
  iterations: number;
}

export interface NmfOptions {
  /** Seed of the random initialization (sklearn's init='random': uniform · sqrt(mean(V)/k)). Default 0. */
  seed?: number;
  /** Default 400. */
  maxIterations?: number;
  /** Stop when the relative error improves by less than this between iterations. Default 1e-7. */
  tolerance?: number;
  /** Keep W fixed (project V onto a given concept bank): only H is fitted. */
  fixedW?: Float64Array;
}

/** A factor that hit exactly 0 can never move again under HALS; a tiny floor keeps it alive. */
const FLOOR = 1e-12;

/**
 * Non-negative matrix factorization by HALS (hierarchical alternating least squares, Cichocki & Phan 2009: the
 * coordinate-descent solver of sklearn's NMF, Frobenius loss, no regularization). Deterministic for a given seed.
 */
export function nmf(V: ArrayLike<number>, m: number, n: number, k: number, options: NmfOptions = {}): NmfResult {
  if (!Number.isInteger(k) || k < 1) throw new LumenError('BAD_OPTION', `NMF: k must be a positive integer, got ${k}`, 2);
  if (V.length !== m * n) throw new Error(`internal: NMF of ${V.length} values as [${m}, ${n}]`);
  let total = 0;
  for (let i = 0; i < V.length; i++) {
    const v = V[i]!;
    if (!(v >= 0)) throw new LumenError('BAD_OPTION', `NMF needs non-negative finite values; found ${v} (factorize a layer after a ReLU)`, 2);
    total += v;
  }
  const maxIterations = options.maxIterations ?? 400;
  const tolerance = options.tolerance ?? 1e-7;
  const rand = mulberry32(options.seed ?? 0);
  const scale = Math.sqrt(total / (m * n) / k) || 1;
  const W = options.fixedW ? Float64Array.from(options.fixedW) : Float64Array.from({ length: m * k }, () => rand() * scale);
  const H = Float64Array.from({ length: k * n }, () => rand() * scale);
  if (W.length !== m * k) throw new Error(`internal: fixed W has ${W.length} values, expected ${m * k}`);
  let vNorm2 = 0;
  for (let i = 0; i < V.length; i++) vNorm2 += V[i]! * V[i]!;

  const WtW = new Float64Array(k * k);
  const WtV = new Float64Array(k * n);
  const HHt = new Float64Array(k * k);
  const VHt = new Float64Array(m * k);
  let previous = Infinity;
  let error = Infinity;
  let it = 0;
  for (; it < maxIterations; it++) {
    // H step: rows of H one at a time, with W^T W and W^T V fixed
    gram(W, m, k, WtW);
    WtV.fill(0);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const w = W[i * k + j]!;
        if (w === 0) continue;
        const row = j * n;
        const vRow = i * n;
        for (let p = 0; p < n; p++) WtV[row + p]! += w * V[vRow + p]!;
      }
    }
    for (let j = 0; j < k; j++) {
      const d = WtW[j * k + j]!;
      if (d <= 0) continue;
      for (let p = 0; p < n; p++) {
        let s = WtV[j * n + p]!;
        for (let l = 0; l < k; l++) s -= WtW[j * k + l]! * H[l * n + p]!;
        H[j * n + p] = Math.max(FLOOR, H[j * n + p]! + s / d);
      }
    }
    if (!options.fixedW) {
      // W step: columns of W, with H H^T and V H^T fixed
      HHt.fill(0);
      for (let a = 0; a < k; a++) {
        for (let b = a; b < k; b++) {
          let s = 0;
          for (let p = 0; p < n; p++) s += H[a * n + p]! * H[b * n + p]!;
          HHt[a * k + b] = s;
          HHt[b * k + a] = s;
        }
      }
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let p = 0; p < n; p++) s += V[i * n + p]! * H[j * n + p]!;
          VHt[i * k + j] = s;
        }
      }
      for (let j = 0; j < k; j++) {
        const d = HHt[j * k + j]!;
        if (d <= 0) continue;
        for (let i = 0; i < m; i++) {
          let s = VHt[i * k + j]!;
          for (let l = 0; l < k; l++) s -= W[i * k + l]! * HHt[l * k + j]!;
          W[i * k + j] = Math.max(FLOOR, W[i * k + j]! + s / d);
        }
      }
    }
    error = reconstructionError(V, W, H, m, n, k, vNorm2);
    if (previous - error < tolerance) {
      it++;
      break;
    }
    previous = error;
  }
  return { m, n, k, W, H, relativeError: error, iterations: it };
}

/** A^T A for A [m, k]. */
function gram(A: Float64Array, m: number, k: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    for (let a = 0; a < k; a++) {
      const x = A[i * k + a]!;
      if (x === 0) continue;
      for (let b = 0; b < k; b++) out[a * k + b]! += x * A[i * k + b]!;
    }
  }
}

/** ‖V − WH‖_F / ‖V‖_F. */
export function reconstructionError(V: ArrayLike<number>, W: Float64Array, H: Float64Array, m: number, n: number, k: number, vNorm2?: number): number {
  let e = 0;
  let v2 = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let j = 0; j < k; j++) {
      const w = W[i * k + j]!;
      if (w === 0) continue;
      for (let p = 0; p < n; p++) row[p]! += w * H[j * n + p]!;
    }
    for (let p = 0; p < n; p++) {
      const v = V[i * n + p]!;
      e += (v - row[p]!) ** 2;
      if (vNorm2 === undefined) v2 += v * v;
    }
  }
  const denom = vNorm2 ?? v2;
  return denom > 0 ? Math.sqrt(e / denom) : Math.sqrt(e);
}
