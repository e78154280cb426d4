import { attrInts } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('Transpose', { kind: 'shape-only', doubleKernel: true, lrp: 'plain', deeplift: 'plain' }, unary(({ ops, node, shape }, x, _y, gy) => {
  const rank = shape(x).length;
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return ops.transpose(gy, inverse);
}));
