import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { normalizationGradient, normalizeStats } from './normalization.js';

// Normalised over the spatial axes per (n, c), scale per channel.
registerOp('InstanceNormalization', { kind: 'normalization', doubleKernel: false, layout: 'nchw', shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const rank = shape(x).length;
  const axes = Array.from({ length: rank - 2 }, (_, i) => i + 2);
  const { invStd, normalized } = normalizeStats(ops, x, axes, attrFloat(node, 'epsilon', 1e-5));
  const scale = ops.unsqueeze(node.input[1]!, axes.map((_, i) => i + 1));
  return [normalizationGradient(ops, ops.mul(gradOutputs[0]!, scale), normalized, invStd, axes)];
});
