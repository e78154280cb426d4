import { attrInts } from '../../onnx/attributes.js';
import { foldTranspose } from '../../onnx/shapes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';
import type { ShapeContext } from '../../onnx/shapes.js';

registerOp('Transpose', { kind: 'shape-only', doubleKernel: true, fold: foldTranspose, shape: transposeShape, lrp: 'plain', deeplift: 'plain' }, unary(({ ops, node, shape }, x, _y, gy) => {
  const rank = shape(x).length;
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return ops.transpose(gy, inverse);
}));

/** Output shape of Transpose (static inference, src/onnx/shapes.ts). */
function transposeShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const perm = attrInts(node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
  c.out(perm.map((p) => x[p]!));
}
