/** A linear classifier for concept activation vectors (TCAV's CAV). */

export interface LinearClassifier {
  /** Weights in the original feature space (d) and bias: score = w·x + b, positive = class 1. */
  weights: Float64Array;
  bias: number;
  /** Training accuracy. */
  accuracy: number;
}

export interface LogisticOptions {
  /** L2 penalty λ·‖w‖²/2 on the standardized problem. Default 1e-2. */
  l2?: number;
  /** Full-batch gradient steps. Default 300. */
  iterations?: number;
}

/**
 * L2-regularized logistic regression by full-batch gradient descent (deterministic: no sampling, zero start).
 * Features are centred and divided by one global scale first (so the step size suits any layer) and the weights are
 * mapped back, so `weights` is a direction in the layer's own activation space.
 * X: n rows of d features, row-major; y: 0/1.
 */
export function logisticRegression(X: ArrayLike<number>, n: number, d: number, y: ArrayLike<number>, options: LogisticOptions = {}): LinearClassifier {
  const l2 = options.l2 ?? 1e-2;
  const iterations = options.iterations ?? 300;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += X[i * d + j]! / n;
  let ss = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) ss += (X[i * d + j]! - mean[j]!) ** 2;
  // one scale for all features: ‖row‖ ≈ 1 on average, which bounds the logistic loss's curvature by 1/4
  const scale = Math.sqrt(ss / n) || 1;
  const Z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) Z[i * d + j] = (X[i * d + j]! - mean[j]!) / scale;
  // Gradient descent from w = 0 never leaves the span of the rows (∇_w = Zᵀ(r/n) + λw), so w = Zᵀa and the same
  // iterates run on the n×n Gram matrix K = ZZᵀ: a ← a − step·(r/n + λa), scores Ka + b. Exactly the primal steps,
  // at n²·iterations instead of n·d·iterations (TCAV: n = 2·16 activations of d = C·h·w ≥ 4096 values).
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += Z[i * d + q]! * Z[j * d + q]!;
      K[i * n + j] = s;
      K[j * n + i] = s;
    }
  }
  const a = new Float64Array(n);
  const r = new Float64Array(n);
  let b = 0;
  const step = 1 / (0.25 + l2);
  for (let it = 0; it < iterations; it++) {
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let s = b;
      for (let j = 0; j < n; j++) s += K[i * n + j]! * a[j]!;
      r[i] = 1 / (1 + Math.exp(-s)) - y[i]!;
      gb += r[i]! / n;
    }
    for (let i = 0; i < n; i++) a[i]! -= step * (r[i]! / n + l2 * a[i]!);
    b -= step * gb;
  }
  const w = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let q = 0; q < d; q++) w[q]! += a[i]! * Z[i * d + q]!;
  // back to the original space: w·(x − μ)/s + b = (w/s)·x + (b − w·μ/s)
  const weights = Float64Array.from(w, (v) => v / scale);
  let bias = b;
  for (let j = 0; j < d; j++) bias -= weights[j]! * mean[j]!;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let s = bias;
    for (let j = 0; j < d; j++) s += weights[j]! * X[i * d + j]!;
    if ((s > 0 ? 1 : 0) === y[i]) correct++;
  }
  return { weights, bias, accuracy: correct / n };
}
