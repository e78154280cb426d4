import { registerOp } from '../registry.js';
import { unary } from './util.js';

// d/dx x/(1 + |x|) = 1/(1 + |x|)²
registerOp('Softsign', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', deeplift: 'rescale-exact' }, unary(({ ops }, x, _y, gy) => {
  const d = ops.add(ops.scalar(1), ops.op('Abs', [x]));
  return ops.div(gy, ops.mul(d, d));
}));
