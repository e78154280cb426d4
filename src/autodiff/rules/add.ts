import { registerOp } from '../registry.js';
import { foldAdd } from '../../onnx/shapes.js';

// Broadcasting: each operand gets the output gradient summed over the axes it was stretched along.
registerOp('Add', { kind: 'arithmetic', doubleKernel: true, fold: { pairwise: foldAdd }, layout: 'keeps', shape: 'broadcast', lrp: 'sum', lrpInputNormalization: 'either', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const gy = gradOutputs[0]!;
  const out = shape(node.output[0]!);
  return node.input.map((x, i) => (needsGradient(i) ? ops.unbroadcast(gy, out, shape(x)) : undefined));
});
