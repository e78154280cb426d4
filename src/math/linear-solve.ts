/** Small dense linear algebra in float64 (LIME's weighted ridge, Kernel SHAP's constrained least squares). */

/**
 * Solve A·x = b for a symmetric positive (semi)definite A (n×n, row-major) by Gaussian elimination with partial
 * pivoting. Returns undefined when A is singular to working precision.
 */
export function solveLinear(a: Float64Array, b: Float64Array, n: number): Float64Array | undefined {
  const m = a.slice();
  const x = b.slice();
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]!));
  const tiny = scale * n * 1e-14;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[piv * n + col]!)) piv = r;
    if (!(Math.abs(m[piv * n + col]!) > tiny)) return undefined;
    if (piv !== col) {
      for (let c = 0; c < n; c++) {
        const t = m[col * n + c]!;
        m[col * n + c] = m[piv * n + c]!;
        m[piv * n + c] = t;
      }
      const t = x[col]!;
      x[col] = x[piv]!;
      x[piv] = t;
    }
    const d = m[col * n + col]!;
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) m[r * n + c]! -= f * m[col * n + c]!;
      x[r]! -= f * x[col]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let c = r + 1; c < n; c++) s -= m[r * n + c]! * x[c]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}

/**
 * solveLinear, and when A is singular (too few samples to determine every unknown, or a column that never varies) a
 * vanishing ridge, 1e-10 × the mean diagonal, added to A in place: the least-norm-like answer shap's pseudo-inverse
 * and sklearn give. Zeros when even that fails.
 */
export function solveLinearOrRidge(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = solveLinear(a, b, n);
  if (x) return x;
  let trace = 0;
  for (let j = 0; j < n; j++) trace += a[j * n + j]!;
  for (let j = 0; j < n; j++) a[j * n + j]! += 1e-10 * (trace / n || 1);
  return solveLinear(a, b, n) ?? new Float64Array(n);
}
