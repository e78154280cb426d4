import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

// y = x for x > 0, α(eˣ − 1) else: slope 1 or y + α
registerOp('Elu', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', lrp: 'pass', deeplift: 'rescale' }, unary(({ ops, node }, x, y, gy) => {
  const alpha = attrFloat(node, 'alpha', 1);
  return ops.where(ops.greater(x, ops.scalar(0)), gy, ops.mul(gy, ops.add(y, ops.scalar(alpha))));
}));
