import { registerOp } from '../registry.js';
import { LumenError } from '../../errors.js';
import { broadcastDims, foldExpand, type ShapeContext } from '../../onnx/shapes.js';

registerOp('Expand', { kind: 'data', doubleKernel: true, fold: foldExpand, shape: expandShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  return [ops.unbroadcast(gradOutputs[0]!, shape(node.output[0]!), shape(node.input[0]!))];
});

/** Output shape of Expand (static inference, src/onnx/shapes.ts). */
function expandShape(c: ShapeContext): void {
  const { node } = c;
  const target = c.value(1);
  if (!target) throw new LumenError('UNSUPPORTED_MODEL', `shape inference: Expand '${node.name}' with a shape not known statically`);
  c.out(broadcastDims(c.in(0), target, node));
}
