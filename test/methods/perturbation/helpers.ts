import { readFileSync } from 'node:fs';
import { emptyGraph } from '../../helpers/graphs.js';
import type { OnnxGraph } from '../../../src/onnx/graph.js';
import { LumenModel } from '../../../src/model.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import { Tensor } from '../../../src/tensor.js';
import { npyToTensor } from '../../../src/io/npy.js';

/** A conformance .npy file as a Tensor. */
export function readNpy(path: string): Tensor {
  return npyToTensor(new Uint8Array(readFileSync(path)));
}

export { emptyGraph } from '../../helpers/graphs.js';

export function modelOf(g: OnnxGraph): LumenModel {
  return LumenModel.fromBytes(g.toBytes(), { runtime: nodeRuntime() });
}

/**
 * A model over [N,C,H,W] whose logits [N,2] are: logit0 = f(segment sums), logit1 = −logit0.
 * `segmentWeights` (S × C·H·W, row s = indicator/weights of segment s) turns the image into S segment sums via Gemm;
 * `head` builds the rest of the graph from the [N,S] tensor and returns a [N,1] tensor name.
 */
export function segmentModel(C: number, H: number, W: number, segmentWeights: Float32Array, segments: number, head: (g: OnnxGraph, sums: string) => string): LumenModel {
  const g = emptyGraph();
  g.addInput('input', ['batch', C, H, W]);
  const flat = g.op('Flatten', ['input'], { axis: { i: 1 } });
  const wName = g.addInitializer(segmentWeights, [segments, C * H * W], 'segw');
  const sums = g.op('Gemm', [flat, wName], { transB: { i: 1 } });
  const y = head(g, sums);
  const neg = g.op('Neg', [y]);
  g.addNode('Concat', [y, neg], ['logits'], { axis: { i: 1 } });
  g.addOutput('logits', ['batch', 2]);
  return modelOf(g);
}

export function maxRelErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return err / scale;
}

/** Deterministic test values in [lo, hi) (a tiny LCG, independent of the library's PRNG). */
export function testValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/** Row s of the result = per-pixel weights of segment s (pixel weights `pixelWeights`, zero outside the segment), over C channels. */
export function segmentIndicator(labels: ArrayLike<number>, segments: number, channels: number, pixelWeights?: Float32Array): Float32Array {
  const P = labels.length;
  const out = new Float32Array(segments * channels * P);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < P; p++) out[labels[p]! * channels * P + c * P + p] = pixelWeights ? pixelWeights[c * P + p]! : 1;
  }
  return out;
}

/** Σ over pixels of segment s of weights·x, per segment (float64). */
export function segmentSums(x: Float32Array, labels: ArrayLike<number>, segments: number, channels: number, pixelWeights?: Float32Array): Float64Array {
  const P = labels.length;
  const out = new Float64Array(segments);
  for (let c = 0; c < channels; c++) for (let p = 0; p < P; p++) out[labels[p]!]! += (pixelWeights ? pixelWeights[c * P + p]! : 1) * x[c * P + p]!;
  return out;
}
