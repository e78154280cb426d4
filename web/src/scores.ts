import { detailsOf, evaluate, hasMetric, type Explanation, type LumenModel, type ProgressEvent, type TargetSpec, type Tensor } from '../../src/browser.js';

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
  const curve = (id: 'deletion' | 'insertion'): { value: number; x: number[]; y: number[] } => {
    const r = results.find((m) => m.metric === id);
    const d = r ? detailsOf(r, id)[0] : undefined;
    return { value: r?.value ?? NaN, x: d?.fractions ?? [], y: d?.curve ?? [] };
  };
  const del = curve('deletion');
  const ins = curve('insertion');
  return { deletion: del.value, insertion: ins.value, deletionCurve: { x: del.x, y: del.y }, insertionCurve: { x: ins.x, y: ins.y } };
}
