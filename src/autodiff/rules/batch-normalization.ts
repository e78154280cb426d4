import { attrFloat, attrInt } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';

// Inference mode: y = (x − mean)·scale/√(var + ε) + B, so gx = gy · scale/√(var + ε) per channel (axis 1).
registerOp('BatchNormalization', { kind: 'normalization', doubleKernel: true, layout: 'nchw', shape: 'elementwise', indexOutputs: true, lrp: 'batch-norm', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (attrInt(node, 'training_mode', 0) === 1) throw new LumenError('UNSUPPORTED_OP', `BatchNormalization '${node.name}' in training mode`);
  if (!needsGradient(0)) return [];
  const [x, scale, , , variance] = node.input as [string, string, string, string, string];
  const rank = shape(x).length;
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const factor = ops.div(scale, ops.op('Sqrt', [ops.add(variance, ops.scalar(eps))]));
  const perChannel = ops.unsqueeze(factor, Array.from({ length: rank - 2 }, (_, i) => i + 1));
  return [ops.mul(gradOutputs[0]!, perChannel)];
});
