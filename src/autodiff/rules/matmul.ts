import { registerOp } from '../registry.js';
import { broadcastDims, type ShapeContext } from '../../onnx/shapes.js';
import type { Dim } from '../../onnx/graph.js';

/**
 * numpy matmul semantics: 1-D operands are promoted (a: prepend 1, b: append 1) and the promoted axis removed
 * from the result; batch axes broadcast. gA = gY·Bᵀ, gB = Aᵀ·gY, then summed over broadcast batch axes.
 */
registerOp('MatMul', { kind: 'linear', doubleKernel: true, weightInput: 1, denseWeight: () => ({ transposed: false, scale: 1, biasAfter: true }), shape: matMulShape, lrp: 'dense-layer', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const [a, b] = [node.input[0]!, node.input[1]!];
  const sa = shape(a);
  const sb = shape(b);
  let gy = gradOutputs[0]!;
  let a2 = a;
  let b2 = b;
  let sa2 = [...sa];
  let sb2 = [...sb];
  if (sa.length === 1) {
    a2 = ops.unsqueeze(a, [0]);
    sa2 = [1, sa[0]!];
  }
  if (sb.length === 1) {
    b2 = ops.unsqueeze(b, [1]);
    sb2 = [sb[0]!, 1];
  }
  const out = shape(node.output[0]!);
  let out2 = [...out];
  if (sa.length === 1) {
    gy = ops.unsqueeze(gy, [out.length - (sb.length === 1 ? 0 : 1)]);
    out2.splice(out2.length - (sb.length === 1 ? 0 : 1), 0, 1);
  }
  if (sb.length === 1) {
    gy = ops.unsqueeze(gy, [out2.length]);
    out2 = [...out2, 1];
  }
  const swapLast = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  let ga: string | undefined;
  let gb: string | undefined;
  if (needsGradient(0)) {
    const full = ops.op('MatMul', [gy, ops.transpose(b2, swapLast(sb2.length))]);
    const gaShape = [...out2.slice(0, -2), sa2[sa2.length - 2]!, sa2[sa2.length - 1]!];
    ga = ops.unbroadcast(full, gaShape, sa2);
    if (sa.length === 1) ga = ops.squeeze(ga, [0]);
  }
  if (needsGradient(1)) {
    const full = ops.op('MatMul', [ops.transpose(a2, swapLast(sa2.length)), gy]);
    const gbShape = [...out2.slice(0, -2), sb2[sb2.length - 2]!, sb2[sb2.length - 1]!];
    gb = ops.unbroadcast(full, gbShape, sb2);
    if (sb.length === 1) gb = ops.squeeze(gb, [1]);
  }
  return [ga, gb];
});

/** Output shape of MatMul (static inference, src/onnx/shapes.ts). */
function matMulShape(c: ShapeContext): void {
  const { node } = c;
  const a = c.in(0);
  const b = c.in(1);
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastDims(a2.slice(0, -2), b2.slice(0, -2), node);
  const out: Dim[] = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  c.out(out);
}
