import { attrInt } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { axisOf } from './util.js';

/**
 * Softmax over `axis` (opset ≥ 13) or over the flattened axes [axis, rank) (before): gx = y ⊙ (gy − Σ gy ⊙ y).
 */
export function softmaxAxes(node: { opType: string } & Parameters<typeof attrInt>[0], rank: number, opset: number): number[] {
  const axis = axisOf(attrInt(node, 'axis', opset >= 13 ? -1 : 1), rank);
  return opset >= 13 ? [axis] : Array.from({ length: rank - axis }, (_, i) => axis + i);
}

registerOp('Softmax', { kind: 'normalization', doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'plain', lrpGate: true, deeplift: 'softmax' }, ({ node, gradOutputs, needsGradient, ops, shape, opset }) => {
  if (!needsGradient(0)) return [];
  const y = node.output[0]!;
  const axes = softmaxAxes(node, shape(y).length, opset);
  const gy = gradOutputs[0]!;
  const dot = ops.reduceSum(ops.mul(gy, y), axes, true);
  return [ops.mul(y, ops.sub(gy, dot))];
});
