import type { GraphOps } from '../ops.js';

/**
 * Input gradient of a normalisation x̂ = (x − μ)/σ over `axes` (μ, σ computed from x over the same axes), given
 * ĝ = ∂L/∂x̂: gx = (ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) / σ. `invStd` = 1/σ and `normalized` = x̂, broadcastable.
 */
export function normalizationGradient(ops: GraphOps, gHat: string, normalized: string, invStd: string, axes: readonly number[]): string {
  const meanG = ops.reduce('ReduceMean', gHat, axes, true);
  const meanGx = ops.reduce('ReduceMean', ops.mul(gHat, normalized), axes, true);
  return ops.mul(invStd, ops.sub(ops.sub(gHat, meanG), ops.mul(normalized, meanGx)));
}

/** μ, 1/σ and x̂ of x over `axes`, as ONNX nodes. */
export function normalizeStats(ops: GraphOps, x: string, axes: readonly number[], epsilon: number): { invStd: string; normalized: string } {
  const centred = ops.sub(x, ops.reduce('ReduceMean', x, axes, true));
  const variance = ops.reduce('ReduceMean', ops.mul(centred, centred), axes, true);
  const invStd = ops.op('Reciprocal', [ops.op('Sqrt', [ops.add(variance, ops.scalar(epsilon))])]);
  return { invStd, normalized: ops.mul(centred, invStd) };
}
