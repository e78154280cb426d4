import { registerOp } from '../registry.js';
import { reshapeBack } from './reshape.js';
import { attrInts } from '../../onnx/attributes.js';
import type { ShapeContext } from '../../onnx/shapes.js';

registerOp('Squeeze', { kind: 'shape-only', doubleKernel: true, keepsValues: true, shape: squeezeShape, lrp: 'plain', deeplift: 'plain' }, reshapeBack);

/** Output shape of Squeeze (static inference, src/onnx/shapes.ts). */
function squeezeShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const axes = (c.opsetAtLeast13() ? c.numbers(1) : attrInts(node, 'axes'))?.map((a) => (a < 0 ? a + x.length : a));
  c.out(x.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
  const v = c.value(0);
  if (v) c.outValue(v);
}
