import { registerOp } from '../registry.js';
import { foldMul } from '../../onnx/shapes.js';

registerOp('Mul', { kind: 'arithmetic', doubleKernel: true, fold: { pairwise: foldMul }, layout: 'keeps', shape: 'broadcast', lrp: 'product', lrpInputNormalization: 'either', deeplift: 'product' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const gy = gradOutputs[0]!;
  const out = shape(node.output[0]!);
  const [a, b] = [node.input[0]!, node.input[1]!];
  return [
    needsGradient(0) ? ops.unbroadcast(ops.mul(gy, b), out, shape(a)) : undefined,
    needsGradient(1) ? ops.unbroadcast(ops.mul(gy, a), out, shape(b)) : undefined,
  ];
});
