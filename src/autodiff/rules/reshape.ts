import { registerOp } from '../registry.js';
import type { GradientRule } from '../types.js';
import { unary } from './util.js';
import { attrInt } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { product, divideDims, type ShapeContext } from '../../onnx/shapes.js';
import type { Dim } from '../../onnx/graph.js';

/** Ops that keep the values in row-major order and only change the shape: reshape the gradient back to x's shape. */
export const reshapeBack: GradientRule = unary(({ ops, shape }, x, y, gy) => {
  let xs, ys;
  try {
    [xs, ys] = [shape(x), shape(y)];
  } catch {
    // a shape only known at run time (computed in the graph): take x's shape there
    return ops.reshapeLike(gy, x);
  }
  // Static target shape when only the shared leading (batch) dim is symbolic: 0 copies it from the gradient, so
  // ORT still knows the result's shape (a runtime Shape op would hide it).
  if (xs.length > 0 && ys.length > 0 && xs[0] === ys[0] && xs.slice(1).every((d) => typeof d === 'number')) {
    return ops.op('Reshape', [gy, ops.int64s([typeof xs[0] === 'number' ? xs[0] : 0, ...(xs.slice(1) as number[])])]);
  }
  return ops.reshapeLike(gy, x);
});

registerOp('Reshape', { kind: 'shape-only', doubleKernel: true, keepsValues: true, shape: reshapeShape, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reshapeBack);

/** Output shape of Reshape (static inference, src/onnx/shapes.ts). */
function reshapeShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const target = c.value(1);
  if (!target) throw new LumenError('UNSUPPORTED_MODEL', `shape inference: Reshape node '${node.name}' has a target shape that is not known statically`);
  const allowZero = attrInt(node, 'allowzero', 0) === 1;
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? x[i]! : d));
  const minus = out.findIndex((d) => d === -1);
  if (minus >= 0) out[minus] = divideDims(product(x), product(out.filter((_, i) => i !== minus)));
  c.out(out);
}
