import { attrInt } from '../../onnx/attributes.js';
import { registerGradient } from '../registry.js';
import { axisOf } from './util.js';

// Concatenate the output gradients (zeros for outputs nothing flows into).
registerGradient('Split', ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  const rank = shape(node.input[0]!).length;
  const axis = axisOf(attrInt(node, 'axis', 0), rank);
  const parts = node.output.map((o, i) => gradOutputs[i] ?? ops.zerosLike(o));
  return [ops.op('Concat', parts, { axis: { i: axis } })];
});
