import type { OnnxGraph } from '../../src/onnx/graph.js';
import { emptyModel, rng, randn } from '../autodiff/helpers.js';

/**
 * A small smooth multi-output model on [1, 3, 8, 8] images: Conv 3→C (Tanh) is the trunk; outputs 'det' [1, 4+K, 64]
 * (a YOLOv8-style head: the conv map flattened), 'rows' [1, 64, 5+K] (YOLOv5-style: the same map transposed with one
 * more channel), 'emb' [1, C] (global average pool) and 'reg' [1, 2] (a linear regression head on 'emb').
 */
export function multiHeadGraph(): OnnxGraph {
  const r = rng(7);
  const K = 3;
  const C = 4 + K;
  const g = emptyModel({ x: ['N', 3, 8, 8] });
  const w = Float32Array.from({ length: (C + 1) * 3 * 9 }, () => 0.3 * randn(r));
  const conv = g.op('Conv', ['x', g.addInitializer(w, [C + 1, 3, 3, 3])], { pads: { ints: [1, 1, 1, 1] } });
  const act = g.op('Tanh', [conv]);
  // [N, C+1, 8, 8] → channels head [N, C, 64] and rows head [N, 64, C+1]
  const first = g.op('Slice', [act, g.int64s([0]), g.int64s([C]), g.int64s([1])]);
  g.addNode('Reshape', [first, g.int64s([0, C, 64])], ['det']);
  const all = g.op('Reshape', [act, g.int64s([0, C + 1, 64])]);
  g.addNode('Transpose', [all], ['rows'], { perm: { ints: [0, 2, 1] } });
  const pooled = g.op('GlobalAveragePool', [act]);
  g.addNode('Flatten', [pooled], ['emb']);
  const wr = Float32Array.from({ length: (C + 1) * 2 }, () => randn(r));
  g.addNode('Gemm', ['emb', g.addInitializer(wr, [C + 1, 2])], ['reg']);
  g.setOutputs(['reg', 'det', 'rows', 'emb']);
  return g;
}

