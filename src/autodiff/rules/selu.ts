import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

// y = γ·x for x > 0, γα(eˣ − 1) else: slope γ or y + γα
registerOp('Selu', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', deeplift: 'rescale-exact' }, unary(({ ops, node }, x, y, gy) => {
  const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
  const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
  return ops.where(ops.greater(x, ops.scalar(0)), ops.scale(gy, gamma), ops.mul(gy, ops.add(y, ops.scalar(gamma * alpha))));
}));
