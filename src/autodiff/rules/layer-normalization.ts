import { attrFloat, attrInt } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { normalizationGradient, normalizeStats } from './normalization.js';
import { axisOf } from './util.js';

// y = x̂·scale + B over the axes [axis, rank); scale/B gradients are not built.
registerOp('LayerNormalization', { kind: 'normalization', doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0) || !gradOutputs[0]) return [];
  const x = node.input[0]!;
  const rank = shape(x).length;
  const axis = axisOf(attrInt(node, 'axis', -1), rank);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const { invStd, normalized } = normalizeStats(ops, x, axes, attrFloat(node, 'epsilon', 1e-5));
  const gHat = ops.mul(gradOutputs[0], node.input[1]!);
  return [normalizationGradient(ops, gHat, normalized, invStd, axes)];
});
