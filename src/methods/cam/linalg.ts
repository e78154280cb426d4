import { gram } from '../../math/gram.js';

/**
 * The first principal component projection used by EigenCAM and `eigenSmooth` (pytorch-grad-cam's
 * `get_2d_projection`): for one image's channel maps X [C, h·w], take M = Xᵀ (positions × channels), centre each
 * column (channel), and project M on its first right singular vector: p = M·v₁ (length h·w).
 *
 * The SVD is computed from the smaller Gram matrix (MᵀM or MMᵀ) in float64: both share the top singular value σ₁,
 * and p = M·v₁ = σ₁·u₁ where u₁ is the top eigenvector of MMᵀ.
 *
 * Sign: an SVD fixes v₁ only up to sign (numpy returns whatever LAPACK picks). We choose the sign that makes the
 * projection correlate positively with the image's mean channel map (the map the ReLU in post-processing keeps
 * should be where the layer is active). When that correlation is exactly 0 we make the largest-|p| entry positive.
 */
export function firstComponentProjection(channels: Float32Array | Float64Array, c: number, hw: number): Float64Array {
  // M[p, ch] = X[ch, p] − mean_p X[ch, ·]; NaN → 0 as pytorch-grad-cam does.
  const m = new Float64Array(c * hw);
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let p = 0; p < hw; p++) {
      const v = channels[ch * hw + p]!;
      const x = Number.isNaN(v) ? 0 : v;
      m[ch * hw + p] = x;
      sum += x;
    }
    const mean = sum / hw;
    for (let p = 0; p < hw; p++) m[ch * hw + p]! -= mean;
  }

  const projection = new Float64Array(hw);
  if (hw <= c) {
    // Gram over positions: K = M Mᵀ [hw, hw]; p = σ₁ u₁.
    const { vector, value } = topEigenvector(gram(m, hw, c, 1, hw), hw);
    const sigma = Math.sqrt(Math.max(value, 0));
    for (let p = 0; p < hw; p++) projection[p] = sigma * vector[p]!;
  } else {
    // Gram over channels: K = MᵀM [c, c]; p = M v₁.
    const { vector } = topEigenvector(gram(m, c, hw, hw, 1), c);
    for (let ch = 0; ch < c; ch++) {
      const w = vector[ch]!;
      if (w === 0) continue;
      for (let p = 0; p < hw; p++) projection[p]! += m[ch * hw + p]! * w;
    }
  }

  orientProjection(projection, channels, c, hw);
  return projection;
}

/** The sign rule (see `firstComponentProjection`). */
function orientProjection(projection: Float64Array, channels: Float32Array | Float64Array, c: number, hw: number): void {
  const meanMap = new Float64Array(hw);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < hw; p++) {
      const v = channels[ch * hw + p]!;
      if (!Number.isNaN(v)) meanMap[p]! += v / c;
    }
  }
  let meanOfMap = 0;
  for (let p = 0; p < hw; p++) meanOfMap += meanMap[p]! / hw;
  let corr = 0;
  for (let p = 0; p < hw; p++) corr += projection[p]! * (meanMap[p]! - meanOfMap);
  let flip = corr < 0;
  if (corr === 0) {
    let best = 0;
    for (let p = 0; p < hw; p++) if (Math.abs(projection[p]!) > Math.abs(best)) best = projection[p]!;
    flip = best < 0;
  }
  if (flip) for (let p = 0; p < hw; p++) projection[p] = -projection[p]!;
}

/**
 * Largest eigenvalue and its unit eigenvector of a symmetric positive semi-definite matrix [n, n] (row-major).
 * Cyclic Jacobi for small n (exact to rounding); block subspace iteration with Rayleigh–Ritz for large n.
 */
export function topEigenvector(matrix: Float64Array, n: number): { vector: Float64Array; value: number } {
  if (n === 0) return { vector: new Float64Array(0), value: 0 };
  if (n <= 160) {
    const { values, vectors } = jacobiEigen(matrix, n);
    let best = 0;
    for (let i = 1; i < n; i++) if (values[i]! > values[best]!) best = i;
    const vector = new Float64Array(n);
    for (let r = 0; r < n; r++) vector[r] = vectors[r * n + best]!;
    return { vector, value: values[best]! };
  }
  return subspaceTopEigen(matrix, n);
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations. Columns of `vectors` are eigenvectors. */
export function jacobiEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i]! * a[i]!;
  const tiny = 1e-30 * scale;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! * a[p * n + q]!;
    if (off <= tiny || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const app = a[p * n + p]!;
        const aqq = a[q * n + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = cs * akp - sn * akq;
          a[k * n + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = cs * apk - sn * aqk;
          a[q * n + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = cs * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/** Top eigenpair by block subspace iteration (block of 8) with Rayleigh–Ritz; for large symmetric PSD matrices. */
export function subspaceTopEigen(matrix: Float64Array, n: number): { vector: Float64Array; value: number } {
  const b = Math.min(8, n);
  // Deterministic start: a few smooth, distinct patterns.
  let q = new Float64Array(n * b);
  for (let j = 0; j < b; j++) for (let i = 0; i < n; i++) q[i * b + j] = Math.cos((i + 1) * (j + 1) * 0.7853981633974483) + (j === 0 ? 1 : 0);
  orthonormalizeColumns(q, n, b);
  let top = new Float64Array(n);
  let value = 0;
  for (let iter = 0; iter < 1000; iter++) {
    const z = multiplyBlock(matrix, n, q, b);
    // Rayleigh–Ritz on span(z) after orthonormalization.
    orthonormalizeColumns(z, n, b);
    const az = multiplyBlock(matrix, n, z, b);
    const t = new Float64Array(b * b);
    for (let r = 0; r < b; r++) for (let s = 0; s < b; s++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += z[i * b + r]! * az[i * b + s]!;
      t[r * b + s] = sum;
    }
    const { values, vectors } = jacobiEigen(t, b);
    const order = Array.from({ length: b }, (_, i) => i).sort((x, y) => values[y]! - values[x]!);
    const rotated = new Float64Array(n * b);
    for (let i = 0; i < n; i++) for (let j = 0; j < b; j++) {
      let sum = 0;
      for (let r = 0; r < b; r++) sum += z[i * b + r]! * vectors[r * b + order[j]!]!;
      rotated[i * b + j] = sum;
    }
    q = rotated;
    value = values[order[0]!]!;
    top = new Float64Array(n);
    for (let i = 0; i < n; i++) top[i] = q[i * b]!;
    // Converged when the top Ritz pair's residual ‖K·v − λ·v‖ is at rounding level.
    let residual = 0;
    for (let i = 0; i < n; i++) {
      let kv = 0;
      for (let k = 0; k < n; k++) kv += matrix[i * n + k]! * top[k]!;
      residual += (kv - value * top[i]!) ** 2;
    }
    if (Math.sqrt(residual) <= 1e-12 * Math.abs(value) || value === 0) break;
  }
  return { vector: top, value };
}

/** matrix [n, n] · block [n, b], skipping the matrix's zeros (row-major). */
function multiplyBlock(matrix: Float64Array, n: number, block: Float64Array, b: number): Float64Array {
  const out = new Float64Array(n * b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const mik = matrix[i * n + k]!;
      if (mik === 0) continue;
      for (let j = 0; j < b; j++) out[i * b + j]! += mik * block[k * b + j]!;
    }
  }
  return out;
}

function orthonormalizeColumns(q: Float64Array, n: number, b: number): void {
  for (let j = 0; j < b; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i * b + j]! * q[i * b + k]!;
        for (let i = 0; i < n; i++) q[i * b + j]! -= dot * q[i * b + k]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * b + j]! * q[i * b + j]!;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      // Degenerate column: replace by a unit vector and re-orthogonalize on the next pass.
      q[(j % n) * b + j] = 1;
      norm = 1;
    }
    for (let i = 0; i < n; i++) q[i * b + j]! /= norm;
  }
}
