import { evaluate, hasMetric, type Explanation, type LumenModel, type ProgressEvent, type TargetSpec, type Tensor } from '../../src/browser.js';

export interface CurveScores {
  /** Area under the deletion curve (lower = more faithful). */
  deletion: number;
  /** Area under the insertion curve (higher = more faithful). */
  insertion: number;
  deletionCurve: { x: number[]; y: number[] };
  insertionCurve: { x: number[]; y: number[] };
}

export function metricsAvailable(): boolean {
  return hasMetric('deletion') && hasMetric('insertion');
}

/** Deletion and insertion (RISE paper) for one explanation of one image, with their curves. */
export async function scoreDeletionInsertion(
  model: LumenModel,
  input: Tensor,
  explanation: Explanation,
  signal: AbortSignal,
  onProgress?: (e: ProgressEvent) => void,
  target?: TargetSpec,
): Promise<CurveScores> {
  // a typed target (segmentation, detection, …) is scored with its own scalar, as the explanation explained it
  const { results } = await evaluate(model, input, { explanation, ...(target !== undefined ? { target } : {}), metrics: ['deletion', 'insertion'], signal, onProgress });
  const curve = (id: string): { value: number; x: number[]; y: number[] } => {
    const r = results.find((m) => m.metric === id);
    const d = r?.details[0];
    const y = Array.isArray(d?.curve) ? (d.curve as number[]) : [];
    const x = Array.isArray(d?.fractions) ? (d.fractions as number[]) : y.map((_, i) => i / Math.max(1, y.length - 1));
    return { value: r?.value ?? NaN, x, y };
  };
  const del = curve('deletion');
  const ins = curve('insertion');
  return { deletion: del.value, insertion: ins.value, deletionCurve: { x: del.x, y: del.y }, insertionCurve: { x: ins.x, y: ins.y } };
}
