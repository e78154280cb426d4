import type { Tensor } from '../tensor.js';
import { detectionHead, itemValues, nonMaxSuppression, type Detection } from './detection.js';
import { classMap } from './resolve.js';

/**
 * What a model that is not a classifier predicts for one image, for the user to pick a target from (`lumen predict`,
 * the web app's predictions): a [N, C, H, W] output's class map (argmax over the categories, pixels per category:
 * seg:<category>), or a raw YOLO-style head's boxes after NMS (their candidate index: det:<index>).
 */
export type StructuredPrediction =
  | { kind: 'segmentation'; map: Int32Array; height: number; width: number; categories: { category: number; pixels: number }[] }
  | { kind: 'detection'; layout: 'channels' | 'rows'; candidates: number; detections: Detection[] };

/** Kind of prediction an output of these dims gives (undefined: class scores or anything else). */
export function structuredKind(dims: readonly number[]): StructuredPrediction['kind'] | undefined {
  return dims.length === 4 ? 'segmentation' : dims.length === 3 ? 'detection' : undefined;
}

/** Image i's structured prediction from the output's values; undefined for a [N, K] (or other) output. */
export function structuredPrediction(values: Tensor, i: number, options: { scoreThreshold?: number; iou?: number } = {}): StructuredPrediction | undefined {
  const kind = structuredKind(values.dims);
  if (kind === 'segmentation') {
    const [, c, h, w] = values.dims as [number, number, number, number];
    const map = classMap(values, i);
    const counts = new Array<number>(c).fill(0);
    for (const k of map) counts[k]!++;
    const categories = counts.map((pixels, category) => ({ category, pixels })).filter((x) => x.pixels > 0);
    return { kind, map, height: h, width: w, categories };
  }
  if (kind === 'detection') {
    const head = detectionHead(values.dims);
    const detections = nonMaxSuppression(itemValues(values, i), head, options.scoreThreshold ?? 0.25, options.iou ?? 0.45);
    return { kind, layout: head.layout, candidates: head.anchors, detections };
  }
  return undefined;
}
