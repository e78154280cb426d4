import { registerOp } from '../registry.js';
import { foldWhere } from '../../onnx/shapes.js';

// Where(cond, a, b): the gradient goes to the branch that was picked (cond gets none).
registerOp('Where', { kind: 'arithmetic', doubleKernel: true, fold: foldWhere, inferTypes: ({ node, typeOf }) => [typeOf(node.input[1])], layout: 'keeps', shape: 'broadcast', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const gy = gradOutputs[0]!;
  const [cond, a, b] = node.input as [string, string, string];
  const out = shape(node.output[0]!);
  const zero = ops.scalar(0);
  return [
    undefined,
    needsGradient(1) ? ops.unbroadcast(ops.where(cond, gy, zero), out, shape(a)) : undefined,
    needsGradient(2) ? ops.unbroadcast(ops.where(cond, zero, gy), out, shape(b)) : undefined,
  ];
});
