import { registerOp } from '../registry.js';
import { foldDiv } from '../../onnx/shapes.js';

// y = a / b: dy/da = 1/b, dy/db = −y/b
registerOp('Div', { kind: 'arithmetic', doubleKernel: true, fold: { pairwise: foldDiv }, layout: 'keeps', shape: 'broadcast', lrp: 'plain', lrpInputNormalization: 'first', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const gy = gradOutputs[0]!;
  const y = node.output[0]!;
  const out = shape(y);
  const [a, b] = [node.input[0]!, node.input[1]!];
  const gyOverB = ops.div(gy, b);
  return [
    needsGradient(0) ? ops.unbroadcast(gyOverB, out, shape(a)) : undefined,
    needsGradient(1) ? ops.unbroadcast(ops.neg(ops.mul(gyOverB, y)), out, shape(b)) : undefined,
  ];
});
