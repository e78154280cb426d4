import { attrFloat, attrInt } from '../../onnx/attributes.js';
import { registerOp, type DenseWeight } from '../registry.js';
import type { NodeProto } from '../../onnx/proto.js';
import type { ShapeContext } from '../../onnx/shapes.js';

/**
 * Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B. Each input gradient is again one Gemm,
 * the transposes folded into its trans flags. A classifier's last Gemm seeded with a one-hot row (`oneHotSeed`):
 * the input gradient is that row of the weight (a Gather) instead of a product with the whole weight matrix.
 */
registerOp('Gemm', { kind: 'linear', doubleKernel: true, weightInput: 1, denseWeight: gemmWeight, shape: gemmShape, lrp: 'dense-layer', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, oneHotSeed }) => {
  const gy = gradOutputs[0]!;
  const [a, b, c] = [node.input[0]!, node.input[1]!, node.input[2]];
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0);
  const transB = attrInt(node, 'transB', 0);
  const gemm = (x: string, y: string, tA: number, tB: number): string =>
    ops.op('Gemm', [x, y], { alpha: { f: alpha }, transA: { i: tA }, transB: { i: tB } });
  if (oneHotSeed && transA === 0 && needsGradient(0) && !needsGradient(1) && !needsGradient(2)) {
    let row = ops.op('Gather', [b, oneHotSeed], { axis: { i: transB ? 0 : 1 } });
    if (!transB) row = ops.transpose(row, [1, 0]);
    return [alpha === 1 ? row : ops.scale(row, alpha), undefined, undefined];
  }
  const ga = needsGradient(0) ? (transA ? gemm(b, gy, transB, 1) : gemm(gy, b, 0, transB ? 0 : 1)) : undefined;
  const gb = needsGradient(1) ? (transB ? gemm(gy, a, 1, transA) : gemm(a, gy, transA ? 0 : 1, 0)) : undefined;
  const gc = c && needsGradient(2) ? ops.unbroadcast(ops.scale(gy, beta), shape(node.output[0]!), shape(c)) : undefined;
  return [ga, gb, gc];
});

/** Output shape of Gemm (static inference, src/onnx/shapes.ts). */
function gemmShape(c: ShapeContext): void {
  const { node } = c;
  const a = c.in(0);
  const b = c.in(1);
  const m = attrInt(node, 'transA', 0) ? a[1]! : a[0]!;
  const n = attrInt(node, 'transB', 0) ? b[0]! : b[1]!;
  c.out([m, n]);
}

/** The weight B as the [in, out] matrix of α·A·B' (Classic CAM's classifier); a transposed data operand A is no dense layer's. */
function gemmWeight(node: NodeProto): DenseWeight | string {
  if (attrInt(node, 'transA', 0) === 1) return 'the Gemm transposes its features';
  return { transposed: attrInt(node, 'transB', 0) === 1, scale: attrFloat(node, 'alpha', 1) };
}
