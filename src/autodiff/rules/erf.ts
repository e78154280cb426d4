import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// d erf(x) = 2/√π · e^(−x²)
registerGradient('Erf', unary(({ ops }, x, _y, gy) => {
  const e = ops.op('Exp', [ops.neg(ops.mul(x, x))]);
  return ops.mul(gy, ops.scale(e, 2 / Math.sqrt(Math.PI)));
}));
