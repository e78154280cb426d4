/**
 * The Gram matrix of `count` vectors of length `length` stored in `x`: G[a, b] = Σ_p v_a[p]·v_b[p], summed in p order,
 * where v_a[p] = x[a·itemStride + p·positionStride]. Rows of X [r, c] are (r, c, c, 1) → X·Xᵀ; its columns are
 * (c, r, 1, c) → Xᵀ·X. Computed for b ≥ a and mirrored, so G is exactly symmetric.
 */
export function gram(x: ArrayLike<number>, count: number, length: number, itemStride: number, positionStride: number, out = new Float64Array(count * count)): Float64Array {
  for (let a = 0; a < count; a++) {
    for (let b = a; b < count; b++) {
      let s = 0;
      for (let p = 0; p < length; p++) s += x[a * itemStride + p * positionStride]! * x[b * itemStride + p * positionStride]!;
      out[a * count + b] = s;
      out[b * count + a] = s;
    }
  }
  return out;
}
