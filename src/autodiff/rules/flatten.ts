import { registerOp } from '../registry.js';
import { reshapeBack } from './reshape.js';
import { attrInt } from '../../onnx/attributes.js';
import { product, type ShapeContext } from '../../onnx/shapes.js';

registerOp('Flatten', { kind: 'shape-only', doubleKernel: true, keepsValues: true, shape: flattenShape, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reshapeBack);

/** Output shape of Flatten (static inference, src/onnx/shapes.ts). */
function flattenShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  let axis = attrInt(node, 'axis', 1);
  if (axis < 0) axis += x.length;
  c.out([product(x.slice(0, axis)), product(x.slice(axis))]);
}
