import type { OnnxGraph } from '../../src/onnx/graph.js';
import { emptyModel, randn, rng } from './helpers.js';

// Small models of other architecture families, built with OnnxGraph (random weights, seeded).

function weight(g: OnnxGraph, dims: number[], r: () => number, scale: number): string {
  const n = dims.reduce((a, b) => a * b, 1);
  return g.addInitializer(Float32Array.from({ length: n }, () => randn(r) * scale), dims, 'w');
}

function conv(g: OnnxGraph, x: string, cin: number, cout: number, k: number, r: () => number, attrs: Record<string, number> = {}): string {
  const group = attrs.group ?? 1;
  const pad = Math.floor(k / 2);
  return g.op('Conv', [x, weight(g, [cout, cin / group, k, k], r, Math.sqrt(2 / ((cin / group) * k * k))), weight(g, [cout], r, 0.1)], {
    kernel_shape: { ints: [k, k] },
    pads: { ints: [pad, pad, pad, pad] },
    strides: { ints: [attrs.stride ?? 1, attrs.stride ?? 1] },
    group: { i: group },
  });
}

const silu = (g: OnnxGraph, x: string): string => g.op('Mul', [x, g.op('Sigmoid', [x])]);

function head(g: OnnxGraph, x: string, c: number, classes: number, r: () => number): string {
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: { i: 1 } });
  return g.op('Gemm', [pooled, weight(g, [classes, c], r, 2), weight(g, [classes], r, 0.1)], { transB: { i: 1 } });
}

/** EfficientNet-style: stem conv + BN + SiLU, depthwise conv, squeeze-excitation (GAP → Conv → SiLU → Conv → Sigmoid → Mul), projection, residual. */
export function efficientNetLike(): { g: OnnxGraph; logits: string; block: string; classes: number } {
  const r = rng(11);
  const g = emptyModel({ input: ['N', 3, 12, 12] });
  const bn = (x: string, c: number): string =>
    g.op('BatchNormalization', [x, g.addInitializer(Float32Array.from({ length: c }, () => 1 + 0.3 * randn(r)), [c]), weight(g, [c], r, 0.1), weight(g, [c], r, 0.1), g.addInitializer(Float32Array.from({ length: c }, () => 0.5 + r()), [c])]);
  const stem = silu(g, bn(conv(g, 'input', 3, 8, 3, r, { stride: 2 }), 8));
  const dw = silu(g, conv(g, stem, 8, 8, 3, r, { group: 8 }));
  const squeezed = silu(g, conv(g, g.op('GlobalAveragePool', [dw]), 8, 2, 1, r));
  const gate = g.op('Sigmoid', [conv(g, squeezed, 2, 8, 1, r)]);
  const excited = g.op('Mul', [dw, gate]);
  const block = g.op('Add', [conv(g, excited, 8, 8, 1, r), stem]);
  const logits = head(g, silu(g, block), 8, 5, r);
  g.setOutputs([logits]);
  return { g, logits, block, classes: 5 };
}

/** DenseNet-style: dense layers (BN → Relu → Conv, Concat with their input) and a transition (BN → Relu → 1×1 Conv → AveragePool 2×2). */
export function denseNetLike(): { g: OnnxGraph; logits: string; block: string; classes: number } {
  const r = rng(12);
  const g = emptyModel({ input: ['N', 3, 10, 10] });
  const bnRelu = (x: string, c: number): string =>
    g.op('Relu', [g.op('BatchNormalization', [x, g.addInitializer(Float32Array.from({ length: c }, () => 1 + 0.3 * randn(r)), [c]), weight(g, [c], r, 0.3), weight(g, [c], r, 0.1), g.addInitializer(Float32Array.from({ length: c }, () => 0.5 + r()), [c])])]);
  let x = conv(g, 'input', 3, 6, 3, r);
  let c = 6;
  for (let i = 0; i < 2; i++) {
    const y = conv(g, bnRelu(x, c), c, 4, 3, r);
    x = g.op('Concat', [x, y], { axis: { i: 1 } });
    c += 4;
  }
  const block = x;
  const t = conv(g, bnRelu(x, c), c, 8, 1, r);
  const pooled = g.op('AveragePool', [g.op('Pad', [t, g.int64s([0, 0, 1, 1, 0, 0, 1, 1])])], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  const logits = head(g, bnRelu(pooled, 8), 8, 4, r);
  g.setOutputs([logits]);
  return { g, logits, block, classes: 4 };
}


/**
 * ViT-style: patch embedding (Conv stride 4) → tokens (Reshape, Transpose) + class token (Concat) → LayerNorm →
 * single-head self-attention (MatMul, Transpose, Softmax, residual) → LayerNorm → MLP with Gelu → class token
 * (Gather) → Gemm. Opset 20 (Gelu).
 */
export function vitLike(): { g: OnnxGraph; logits: string; block: string; classes: number } {
  const r = rng(13);
  const g = emptyModel({ input: ['N', 3, 16, 16] }, 20);
  const d = 8;
  const w = (dims: number[], scale: number): string => weight(g, dims, r, scale);
  const patches = g.op('Conv', ['input', w([d, 3, 4, 4], 0.3), w([d], 0.1)], { kernel_shape: { ints: [4, 4] }, strides: { ints: [4, 4] } });
  const tokens = g.op('Transpose', [g.op('Reshape', [patches, g.int64s([0, d, 16])])], { perm: { ints: [0, 2, 1] } });
  const cls = g.op('Expand', [w([1, 1, d], 0.5), g.op('Concat', [g.op('Slice', [g.op('Shape', ['input']), g.int64s([0]), g.int64s([1])]), g.int64s([1, d])], { axis: { i: 0 } })]);
  const seq = g.op('Add', [g.op('Concat', [cls, tokens], { axis: { i: 1 } }), w([17, d], 0.1)]);
  const ln = (x: string): string => g.op('LayerNormalization', [x, g.addInitializer(Float32Array.from({ length: d }, () => 1 + 0.2 * randn(r)), [d]), w([d], 0.1)], { axis: { i: -1 } });
  const h = ln(seq);
  const [q, k, v] = [g.op('MatMul', [h, w([d, d], 0.5)]), g.op('MatMul', [h, w([d, d], 0.5)]), g.op('MatMul', [h, w([d, d], 0.5)])];
  const scores = g.op('Div', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: { ints: [0, 2, 1] } })]), g.scalar(Math.sqrt(d))]);
  const attended = g.op('MatMul', [g.op('Softmax', [scores], { axis: { i: -1 } }), v]);
  const block = g.op('Add', [seq, g.op('MatMul', [attended, w([d, d], 0.5)])]);
  const mlp = g.op('MatMul', [g.op('Gelu', [g.op('Add', [g.op('MatMul', [ln(block), w([d, 2 * d], 0.5)]), w([2 * d], 0.1)])]), w([2 * d, d], 0.5)]);
  const out = g.op('Add', [block, mlp]);
  const clsOut = g.op('Gather', [out, g.addInitializer(BigInt64Array.of(0n), [], 'cls_index')], { axis: { i: 1 } });
  const logits = g.op('Gemm', [clsOut, w([d, 3], 1)]);
  g.setOutputs([logits]);
  return { g, logits, block, classes: 3 };
}
