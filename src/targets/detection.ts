import { LumenError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { OBJECTNESS_COLUMN } from './score.js';
import type { TargetBox } from './spec.js';

/** A raw YOLO-style head: where candidate a's box and class scores live in one image's values. */
export interface DetectionHead {
  layout: 'channels' | 'rows';
  /** Candidates per image. */
  anchors: number;
  classes: number;
  /** Flat index, within one image, of entry `j` (0..3 box, then objectness for rows, then classes) of candidate a. */
  at(a: number, j: number): number;
  /** Entry of the first class score. */
  firstClass: number;
}

/**
 * Read a head's geometry: [B, 4+K, N] ('channels', YOLOv8) or [B, N, 5+K] ('rows', YOLOv5). Without `layout`, the
 * longer axis is the candidates' (a head has more candidates than classes).
 */
export function detectionHead(dims: readonly number[], layout?: 'channels' | 'rows'): DetectionHead {
  if (dims.length !== 3) {
    throw new LumenError('TARGET_RANGE', `detection targets need a raw head [B, 4+K, N] or [B, N, 5+K]; the output is [${dims.join(', ')}]`, 2);
  }
  const [, a, b] = dims as [number, number, number];
  const l = layout ?? (a <= b ? 'channels' : 'rows');
  if (l === 'channels') {
    if (a < 5) throw new LumenError('TARGET_RANGE', `a [B, 4+K, N] head needs at least 5 channels, got ${a}`, 2);
    return { layout: l, anchors: b, classes: a - 4, firstClass: 4, at: (i, j) => j * b + i };
  }
  if (b < 6) throw new LumenError('TARGET_RANGE', `a [B, N, 5+K] head needs at least 6 columns, got ${b}`, 2);
  return { layout: l, anchors: a, classes: b - 5, firstClass: 5, at: (i, j) => i * b + j };
}

/** Candidate a's box (cx, cy, w, h → corners) in one image's values. */
export function candidateBox(values: ArrayLike<number>, head: DetectionHead, a: number): TargetBox {
  const [cx, cy, w, h] = [0, 1, 2, 3].map((j) => values[head.at(a, j)]!) as [number, number, number, number];
  return { x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2 };
}

export function iou(p: TargetBox, q: TargetBox): number {
  const iw = Math.max(0, Math.min(p.x1, q.x1) - Math.max(p.x0, q.x0));
  const ih = Math.max(0, Math.min(p.y1, q.y1) - Math.max(p.y0, q.y0));
  const inter = iw * ih;
  const union = (p.x1 - p.x0) * (p.y1 - p.y0) + (q.x1 - q.x0) * (q.y1 - q.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/** Candidate a's best class and its score (× objectness for rows heads when `objectness`). */
export function bestClass(values: ArrayLike<number>, head: DetectionHead, a: number, objectness = head.layout === 'rows'): { cls: number; score: number } {
  const obj = objectness && head.layout === 'rows' ? values[head.at(a, OBJECTNESS_COLUMN)]! : 1;
  let cls = 0;
  let best = -Infinity;
  for (let k = 0; k < head.classes; k++) {
    const s = values[head.at(a, head.firstClass + k)]! * obj;
    if (s > best) {
      best = s;
      cls = k;
    }
  }
  return { cls, score: best };
}

export interface Detection {
  /** Candidate index (what det:<index> takes). */
  index: number;
  cls: number;
  score: number;
  box: TargetBox;
}

/** Detections of one image after a score threshold and class-wise greedy NMS (highest score first). */
export function nonMaxSuppression(values: ArrayLike<number>, head: DetectionHead, scoreThreshold = 0.25, iouThreshold = 0.45, maxDetections = 100): Detection[] {
  const candidates: Detection[] = [];
  for (let a = 0; a < head.anchors; a++) {
    const { cls, score } = bestClass(values, head, a);
    if (score >= scoreThreshold) candidates.push({ index: a, cls, score, box: candidateBox(values, head, a) });
  }
  candidates.sort((p, q) => q.score - p.score || p.index - q.index);
  const kept: Detection[] = [];
  for (const c of candidates) {
    if (kept.length >= maxDetections) break;
    if (kept.every((k) => k.cls !== c.cls || iou(k.box, c.box) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

/** Values of image i of a batch tensor. */
export function itemValues(t: Tensor, i: number): Float32Array {
  const per = t.size / t.dims[0]!;
  return t.data.subarray(i * per, (i + 1) * per);
}
