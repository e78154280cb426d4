import { registerOp } from '../registry.js';
import { unary } from './util.js';

// d erf(x) = 2/√π · e^(−x²)
registerOp('Erf', { kind: 'math', doubleKernel: false, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'rescale-exact' }, unary(({ ops }, x, _y, gy) => {
  const e = ops.op('Exp', [ops.neg(ops.mul(x, x))]);
  return ops.mul(gy, ops.scale(e, 2 / Math.sqrt(Math.PI)));
}));
