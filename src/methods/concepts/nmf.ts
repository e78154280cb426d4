import { LumenError } from '../../errors.js';
import { mulberry32 } from '../../random.js';
import { gram } from '../../math/gram.js';

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
    gram(W, k, m, 1, k, WtW);
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
    halsStep(H, WtV, WtW, k, n, n, 1);
    if (!options.fixedW) {
      // W step: columns of W, with H H^T and V H^T fixed
      gram(H, k, n, n, 1, HHt);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let p = 0; p < n; p++) s += V[i * n + p]! * H[j * n + p]!;
          VHt[i * k + j] = s;
        }
      }
      halsStep(W, VHt, HHt, k, m, 1, k);
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

/**
 * One HALS half-step over the k components of factor F (H: component j is row j; W: column j), with G the k×k Gram
 * matrix of the other factor and C the cross product in F's layout: F_j ← max(FLOOR, F_j + (C_j − Σ_l G_jl F_l) / G_jj),
 * component by component. Entry p of component j sits at j·componentStride + p·positionStride (of `length`).
 */
function halsStep(F: Float64Array, C: Float64Array, G: Float64Array, k: number, length: number, componentStride: number, positionStride: number): void {
  for (let j = 0; j < k; j++) {
    const d = G[j * k + j]!;
    if (d <= 0) continue;
    for (let p = 0; p < length; p++) {
      const at = j * componentStride + p * positionStride;
      let s = C[at]!;
      for (let l = 0; l < k; l++) s -= G[j * k + l]! * F[l * componentStride + p * positionStride]!;
      F[at] = Math.max(FLOOR, F[at]! + s / d);
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
