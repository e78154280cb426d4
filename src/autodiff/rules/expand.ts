import { registerOp } from '../registry.js';

registerOp('Expand', { kind: 'data', doubleKernel: true, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  return [ops.unbroadcast(gradOutputs[0]!, shape(node.output[0]!), shape(node.input[0]!))];
});
