/**
 * Total-order Sobol indices by a quasi-Monte-Carlo replicated design (CRAFT's concept importance, Fel et al.,
 * CVPR 2023; the authors' deel-ai/Craft `HaltonSequence` sampler and `JansenEstimator`).
 */

/** The first `n` points of the unscrambled Halton sequence in `dim` dimensions (scipy.stats.qmc.Halton(scramble=False)), row-major. */
export function haltonSequence(dim: number, n: number): Float64Array {
  const bases = primes(dim);
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) {
      // radical inverse of i in base b (van der Corput), index 0 → 0 as scipy
      const b = bases[d]!;
      let f = 1;
      let r = 0;
      for (let q = i; q > 0; q = Math.floor(q / b)) {
        f /= b;
        r += f * (q % b);
      }
      out[i * dim + d] = r;
    }
  }
  return out;
}

function primes(count: number): number[] {
  const out: number[] = [];
  for (let p = 2; out.length < count; p++) if (out.every((q) => p % q !== 0)) out.push(p);
  return out;
}

/**
 * The replicated design of `designs` points in [0, 1]^dim: rows A (designs), B (designs), then for each dimension i
 * the rows C_i = A with column i taken from B — (dim + 2)·designs rows of dim values, float32 as Craft's sampler.
 * A and B are the two halves of one 2·dim-dimensional Halton sequence.
 */
export function sobolDesign(dim: number, designs: number): Float32Array {
  const ab = haltonSequence(2 * dim, designs);
  const rows = (dim + 2) * designs;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < designs; r++) {
    for (let d = 0; d < dim; d++) {
      const a = ab[r * 2 * dim + d]!;
      out[r * dim + d] = a;
      out[(designs + r) * dim + d] = ab[r * 2 * dim + dim + d]!;
      for (let i = 0; i < dim; i++) out[((2 + i) * designs + r) * dim + d] = i === d ? ab[r * 2 * dim + dim + d]! : a;
    }
  }
  return out;
}

/**
 * Jansen's estimator of the total-order indices from the outputs on `sobolDesign(dim, designs)`:
 * ST_i = Σ_r (f(A_r) − f(C_i,r))² / (2·designs·Var f(A)), Var with ddof 1. An output that does not depend on
 * dimension i gives exactly 0; a constant output gives NaN for every i (no variance to share).
 */
export function jansenTotalIndices(outputs: ArrayLike<number>, dim: number, designs: number): number[] {
  if (outputs.length !== (dim + 2) * designs) throw new Error(`internal: ${outputs.length} outputs for a design of ${(dim + 2) * designs} rows`);
  let mean = 0;
  for (let r = 0; r < designs; r++) mean += outputs[r]! / designs;
  let ss = 0;
  for (let r = 0; r < designs; r++) ss += (outputs[r]! - mean) ** 2;
  const variance = ss / (designs - 1);
  return Array.from({ length: dim }, (_, i) => {
    let s = 0;
    for (let r = 0; r < designs; r++) s += (outputs[r]! - outputs[(2 + i) * designs + r]!) ** 2;
    return s / (2 * designs * variance);
  });
}
