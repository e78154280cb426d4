import { registerOp } from '../registry.js';
import { softmaxAxes } from './softmax.js';

// y = x − logΣexp(x): gx = gy − softmax(x) · Σ gy
registerOp('LogSoftmax', { kind: 'normalization', doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, opset }) => {
  if (!needsGradient(0)) return [];
  const y = node.output[0]!;
  const axes = softmaxAxes(node, shape(y).length, opset);
  const gy = gradOutputs[0]!;
  return [ops.sub(gy, ops.mul(ops.op('Exp', [y]), ops.reduceSum(gy, axes, true)))];
});
