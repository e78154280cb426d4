import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

// y = max(0, x) + min(0, α(e^(x/α) − 1)): slope 1 or e^(x/α)
registerOp('Celu', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', deeplift: 'rescale-exact' }, unary(({ ops, node }, x, _y, gy) => {
  const alpha = attrFloat(node, 'alpha', 1);
  return ops.where(ops.greater(x, ops.scalar(0)), gy, ops.mul(gy, ops.op('Exp', [ops.scale(x, 1 / alpha)])));
}));
