import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

// y = max(0, min(1, αx + β)): slope α strictly inside (0, 1)
registerOp('HardSigmoid', { kind: 'activation', nonNegative: true, doubleKernel: false, layout: 'keeps', shape: 'elementwise', lrp: 'pass', lrpGate: true, deeplift: 'rescale-exact' }, unary(({ ops, node }, x, _y, gy) => {
  const alpha = attrFloat(node, 'alpha', 0.2);
  const beta = attrFloat(node, 'beta', 0.5);
  const z = ops.add(ops.scale(x, alpha), ops.scalar(beta));
  const inside = ops.and(ops.greater(z, ops.scalar(0)), ops.less(z, ops.scalar(1)));
  return ops.mask(inside, ops.scale(gy, alpha));
}));
