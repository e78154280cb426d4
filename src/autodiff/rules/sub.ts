import { registerOp } from '../registry.js';
import { foldSub } from '../../onnx/shapes.js';

registerOp('Sub', { kind: 'arithmetic', doubleKernel: true, fold: { pairwise: foldSub }, layout: 'keeps', shape: 'broadcast', lrp: 'plain', lrpInputNormalization: 'either', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const gy = gradOutputs[0]!;
  const out = shape(node.output[0]!);
  const [a, b] = [node.input[0]!, node.input[1]!];
  return [
    needsGradient(0) ? ops.unbroadcast(gy, out, shape(a)) : undefined,
    needsGradient(1) ? ops.unbroadcast(ops.neg(gy), out, shape(b)) : undefined,
  ];
});
