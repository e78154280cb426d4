import { GraphOps } from '../autodiff/ops.js';
import { LumenError } from '../errors.js';
import type { Dim, OnnxGraph } from '../onnx/graph.js';
import { TensorProto_DataType } from '../onnx/proto.js';
import { Tensor } from '../tensor.js';
import type { TargetTransform } from './spec.js';

/** Column of a YOLOv5-style row [cx, cy, w, h, objectness, K class scores] that holds the objectness. */
export const OBJECTNESS_COLUMN = 4;

/** The softmax of each row of [N, K] logits (`softmax`), as float32. */
export function softmaxRows(logits: Tensor): Tensor {
  const [n, k] = [logits.dims[0]!, logits.dims[1]!];
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) out.set(softmax(logits.data.subarray(i * k, (i + 1) * k)), i * k);
  return new Tensor(out, [n, k]);
}

/** The softmax of one row in float64: exp(v − max) / Σ exp(v − max), summed in order. */
export function softmax(row: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(row);
  let m = -Infinity;
  for (const v of out) m = Math.max(m, v);
  let s = 0;
  for (let j = 0; j < out.length; j++) s += (out[j] = Math.exp(out[j]! - m));
  for (let j = 0; j < out.length; j++) out[j]! /= s;
  return out;
}

/** transform(row) of one image's values (float64), as the seed graph computes it (see TargetTransform). */
export function transformRow(row: ArrayLike<number>, transform: TargetTransform, rowWidth: number): Float64Array {
  if (transform === 'probability') return softmax(row);
  const out = Float64Array.from(row as ArrayLike<number>);
  if (transform === 'cosine') {
    let s = 0;
    for (const v of out) s += v * v;
    const norm = Math.sqrt(s);
    for (let j = 0; j < out.length; j++) out[j]! /= norm;
  } else if (transform === 'objectness') {
    for (let a = 0; a < out.length; a += rowWidth) {
      const obj = row[a + OBJECTNESS_COLUMN]!;
      for (let j = 0; j < rowWidth; j++) out[a + j] = row[a + j]! * obj;
    }
  }
  return out;
}

/**
 * The explained scalar of each image: Σ seed[seedRow(i)] ⊙ transform(values[i]), float64. `values` are the target
 * tensor's values [n, …] (one row per image), the seed is shaped like one row per seed item.
 */
export function targetScores(values: Tensor, targets: { seed: Tensor; output: TargetTransform }, seedRow: (i: number) => number = (i) => i): Float64Array {
  const n = values.dims[0]!;
  const per = values.size / n;
  const seedPer = targets.seed.size / targets.seed.dims[0]!;
  if (per !== seedPer) throw new Error(`internal: target seed rows have ${seedPer} values, the explained tensor ${per}`);
  const width = values.dims[values.rank - 1]!;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = targets.seed.data.subarray(seedRow(i) * per, (seedRow(i) + 1) * per);
    const row = values.data.subarray(i * per, (i + 1) * per);
    const z = targets.output === 'logit' ? row : transformRow(row, targets.output, width);
    let s = 0;
    for (let j = 0; j < per; j++) if (w[j] !== 0) s += w[j]! * z[j]!;
    scores[i] = s;
  }
  return scores;
}

/**
 * The seed graph's non-linear part as ONNX nodes: transform(tensor) for 'cosine' and 'objectness' (the backward
 * builder then differentiates these nodes with the ordinary rules and seeds their output). 'logit' needs no node;
 * 'probability' is seeded by the builder's own softmax VJP.
 */
export function appendTransform(ops: GraphOps, tensor: string, transform: TargetTransform, shape: readonly Dim[] | undefined): string {
  if (transform === 'logit' || transform === 'probability') return tensor;
  const rank = shape?.length;
  if (rank === undefined) throw new LumenError('UNSUPPORTED_MODEL', `the rank of '${tensor}' is not known statically (needed for a ${transform} target)`);
  if (transform === 'cosine') {
    const axes = Array.from({ length: rank - 1 }, (_, i) => i + 1);
    const norm = ops.op('Sqrt', [ops.reduceSum(ops.mul(tensor, tensor), axes, true)]);
    return ops.div(tensor, norm);
  }
  const obj = ops.op('Slice', [tensor, ops.int64s([OBJECTNESS_COLUMN]), ops.int64s([OBJECTNESS_COLUMN + 1]), ops.int64s([rank - 1])]);
  return ops.mul(tensor, obj);
}

/** Graph input of the in-session score: the seed, [1 or N, …] like the target tensor (one row broadcasts). */
export const TARGET_SEED_INPUT = 'lumen_target_seed';

/**
 * The whole seed graph as ONNX nodes, for sessions that only need the scalar (perturbation methods, metrics):
 * Σ seed ⊙ transform(tensor) per image, [N], computed in double (as `targetScores` does in JS) so only N numbers
 * leave the session instead of the target tensor. The transform nodes are `appendTransform`'s, the ones the
 * backward builder differentiates; 'probability' adds the Softmax the builder folds into its VJP. The seed becomes
 * the graph input TARGET_SEED_INPUT (float). Returns the score's tensor name (declared as a double output).
 */
export function appendTargetScore(graph: OnnxGraph, tensor: string, transform: TargetTransform, rank: number): string {
  const ops = new GraphOps(graph, graph.opset);
  const shape: Dim[] = Array.from({ length: rank }, (_, i) => (i === 0 ? 'N' : -1));
  const x = ops.op('Cast', [tensor], { to: { i: TensorProto_DataType.DOUBLE } });
  const z = transform === 'probability' ? ops.op('Softmax', [x], { axis: { i: rank - 1 } }) : appendTransform(ops, x, transform, shape);
  graph.addInput(TARGET_SEED_INPUT, ['seed_rows', ...shape.slice(1)]);
  const seed = ops.op('Cast', [TARGET_SEED_INPUT], { to: { i: TensorProto_DataType.DOUBLE } });
  const score = ops.reduceSum(ops.mul(z, seed), Array.from({ length: rank - 1 }, (_, i) => i + 1), false);
  graph.setOutputs([]);
  graph.addOutput(score, ['N'], TensorProto_DataType.DOUBLE);
  return score;
}
