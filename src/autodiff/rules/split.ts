import { attrInt } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { axisOf } from './util.js';

// Concatenate the output gradients (zeros for outputs nothing flows into).
registerOp('Split', { kind: 'data', doubleKernel: true, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  const rank = shape(node.input[0]!).length;
  const axis = axisOf(attrInt(node, 'axis', 0), rank);
  const parts = node.output.map((o, i) => gradOutputs[i] ?? ops.zerosLike(o));
  return [ops.op('Concat', parts, { axis: { i: axis } })];
});
