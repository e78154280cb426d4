/** The least and the greatest value ([Infinity, −Infinity] when there is none; NaN when a value is NaN). */
export function minMax(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]!);
    hi = Math.max(hi, v[i]!);
  }
  return [lo, hi];
}

/**
 * `v` rescaled to [0, 1] by its least and greatest value, (v − min) / (max − min): a constant `v` (or one holding NaN)
 * gives zeros. Into a new Float64Array, or into `out` (which may be `v` itself) with `range` = minMax(v) when the
 * caller has it already. Metrics (SSIM inputs, Average Drop's mask), SLIC's input scaling, the displayed image of the
 * perturbation methods and the display policy's min–max maps.
 */
export function minMaxNormalize(v: ArrayLike<number>): Float64Array;
export function minMaxNormalize<T extends Float32Array | Float64Array>(v: ArrayLike<number>, out: T, range?: readonly [number, number]): T;
export function minMaxNormalize(v: ArrayLike<number>, out: Float32Array | Float64Array = new Float64Array(v.length), range: readonly [number, number] = minMax(v)): Float32Array | Float64Array {
  const [lo, hi] = range;
  const span = hi - lo;
  if (!(span > 0)) return out.fill(0);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! - lo) / span;
  return out;
}
