import { registerOp } from '../registry.js';
import { foldPow } from '../../onnx/shapes.js';

// The exponent must not need a gradient (constant or weight): d(x^b) = b·x^(b−1)
registerOp('Pow', { kind: 'math', doubleKernel: true, fold: { pairwise: foldPow }, layout: 'keeps', shape: 'broadcast', lrp: 'plain', deeplift: 'rescale-exact' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const [x, b] = [node.input[0]!, node.input[1]!];
  if (needsGradient(1)) return [undefined, undefined];
  if (!needsGradient(0)) return [];
  const d = ops.mul(b, ops.op('Pow', [x, ops.sub(b, ops.scalar(1))]));
  return [ops.unbroadcast(ops.mul(gradOutputs[0]!, d), shape(node.output[0]!), shape(x))];
});
