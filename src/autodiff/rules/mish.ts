import { registerOp } from '../registry.js';
import { unary } from './util.js';

// y = x·tanh(softplus(x)): dy = tanh(sp) + x·(1 − tanh²(sp))·sigmoid(x)
registerOp('Mish', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', deeplift: 'rescale-exact' }, unary(({ ops }, x, _y, gy) => {
  const t = ops.op('Tanh', [ops.op('Softplus', [x])]);
  const sech2 = ops.sub(ops.scalar(1), ops.mul(t, t));
  return ops.mul(gy, ops.add(t, ops.mul(ops.mul(x, sech2), ops.op('Sigmoid', [x]))));
}));
