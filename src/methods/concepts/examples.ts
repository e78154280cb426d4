import { LumenError } from '../../errors.js';

/** Example-based explanations over embeddings (rows of d values): nearest neighbours and MMD-critic. */

export interface Neighbor {
  index: number;
  /** Cosine similarity to the query, in [−1, 1]. */
  similarity: number;
}

/** The k rows of `bank` most similar to `query` by cosine, best first (ties: lower index first). */
export function nearestByCosine(query: ArrayLike<number>, bank: ArrayLike<number>, n: number, d: number, k: number): Neighbor[] {
  if (query.length !== d) throw new Error(`internal: query has ${query.length} values, the bank ${d} per row`);
  const qn = Math.sqrt(dot(query, 0, query, 0, d));
  const out: Neighbor[] = [];
  for (let i = 0; i < n; i++) {
    const bn = Math.sqrt(dot(bank, i * d, bank, i * d, d));
    const s = qn > 0 && bn > 0 ? dot(query, 0, bank, i * d, d) / (qn * bn) : 0;
    out.push({ index: i, similarity: s });
  }
  out.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
  return out.slice(0, k);
}

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += a[ao + j]! * b[bo + j]!;
  return s;
}

export interface MmdCriticOptions {
  prototypes: number;
  criticisms: number;
  /** RBF kernel k(x, y) = exp(−γ‖x − y‖²); default 1 / median of the squared pairwise distances. */
  gamma?: number;
  /**
   * 'positive' (default): criticisms maximise w(x), data the prototypes under-represent (outliers, missed modes).
   * 'absolute': |w(x)| as the paper and its reference code, which also picks points next to a prototype, where the
   * prototypes over-represent the data (w < 0) — with few prototypes those tend to come first.
   */
  witness?: 'positive' | 'absolute';
}

export interface MmdCriticResult {
  prototypes: number[];
  criticisms: number[];
  /** Witness w(x) = mean_i k(x, x_i) − mean_j k(x, prototype_j) of each criticism (negative: over-represented). */
  witness: number[];
  gamma: number;
}

/**
 * MMD-critic (Kim, Khanna & Koyejo, NeurIPS 2016; the authors' reference code BeenKim/MMD-critic): prototypes are
 * chosen greedily to minimise the MMD² between the data and the prototypes; criticisms greedily maximise the
 * witness (see `witness`) plus the log-determinant diversity regularizer, among the points that are not prototypes.
 */
export function mmdCritic(X: ArrayLike<number>, n: number, d: number, options: MmdCriticOptions): MmdCriticResult {
  const { prototypes: m, criticisms: c } = options;
  if (n < 2) throw new LumenError('BAD_OPTION', `MMD-critic needs at least 2 images, got ${n}`, 2);
  if (m < 1 || m + c > n) throw new LumenError('BAD_OPTION', `MMD-critic: ${m} prototypes + ${c} criticisms, but only ${n} images; ask for at most ${n} in all (prototypes, criticisms) or give more images`, 2);
  const D = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += (X[i * d + q]! - X[j * d + q]!) ** 2;
      D[i * n + j] = s;
      D[j * n + i] = s;
    }
  }
  const gamma = options.gamma ?? 1 / (median(D, n) || 1);
  const K = D.map((v) => Math.exp(-gamma * v));
  const colMean = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) colMean[j]! += K[i * n + j]! / n;

  // prototypes: greedy on J(S) = 2/(n|S|) Σ_{i, j∈S} k(i, j) − 1/|S|² Σ_{j, l∈S} k(j, l) (the MMD² up to a constant)
  const protos: number[] = [];
  let crossSum = 0; // Σ_{j∈S} colMean[j]·n
  let selfSum = 0; // Σ_{j,l∈S} k(j, l)
  for (let t = 0; t < m; t++) {
    let best = -1;
    let bestJ = -Infinity;
    for (let i = 0; i < n; i++) {
      if (protos.includes(i)) continue;
      const size = protos.length + 1;
      let withI = selfSum + K[i * n + i]!;
      for (const j of protos) withI += 2 * K[i * n + j]!;
      const J = (2 * (crossSum + colMean[i]!)) / size - withI / (size * size);
      if (J > bestJ) [best, bestJ] = [i, J];
    }
    for (const j of protos) selfSum += 2 * K[best * n + j]!;
    selfSum += K[best * n + best]!;
    crossSum += colMean[best]!;
    protos.push(best);
  }

  const witnessOf = (i: number): number => {
    let p = 0;
    for (const j of protos) p += K[i * n + j]!;
    return colMean[i]! - p / protos.length;
  };
  // criticisms: greedy on |w(x)| + log det K_CC (diversity), via the Schur complement k(x,x) − k_xC K_CC⁻¹ k_Cx
  const crit: number[] = [];
  const basis: Float64Array[] = []; // Gram–Schmidt rows: k_xC K_CC⁻¹ k_Cx = Σ_r (basis_r · k_x·)²
  for (let t = 0; t < c; t++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      if (protos.includes(i) || crit.includes(i)) continue;
      let explained = 0;
      for (const b of basis) {
        let s = 0;
        crit.forEach((j, r) => (s += b[r]! * K[i * n + j]!));
        explained += s * s;
      }
      const wi = witnessOf(i);
      const score = (options.witness === 'absolute' ? Math.abs(wi) : wi) + Math.log(Math.abs(K[i * n + i]! - explained) || Number.MIN_VALUE);
      if (score > bestScore) [best, bestScore] = [i, score];
    }
    crit.push(best);
    basis.splice(0, basis.length, ...choleskyInverseRows(K, n, crit));
  }
  return { prototypes: protos, criticisms: crit, witness: crit.map(witnessOf), gamma };
}

/** Rows of L⁻¹ where K_CC = L Lᵀ, so k_xC K_CC⁻¹ k_Cx = ‖L⁻¹ k_Cx‖². */
function choleskyInverseRows(K: Float64Array, n: number, idx: readonly number[]): Float64Array[] {
  const s = idx.length;
  const L = new Float64Array(s * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j <= i; j++) {
      let v = K[idx[i]! * n + idx[j]!]!;
      for (let q = 0; q < j; q++) v -= L[i * s + q]! * L[j * s + q]!;
      L[i * s + j] = i === j ? Math.sqrt(Math.max(v, 1e-12)) : v / L[j * s + j]!;
    }
  }
  // forward substitution on the identity
  const inv: Float64Array[] = [];
  for (let i = 0; i < s; i++) {
    const row = new Float64Array(s);
    row[i] = 1;
    for (let q = 0; q < i; q++) {
      let v = 0;
      for (let r = q; r < i; r++) v += L[i * s + r]! * inv[r]![q]!;
      row[q] = -v;
    }
    for (let q = 0; q <= i; q++) row[q] = row[q]! / L[i * s + i]!;
    inv.push(row);
  }
  return inv;
}

function median(D: Float64Array, n: number): number {
  const v: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) v.push(D[i * n + j]!);
  v.sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
}
