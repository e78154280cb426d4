import { registerOp } from '../registry.js';
import { unary } from './util.js';

// y = x·relu6(x + 3)/6; PyTorch: 0 for x < −3, x/3 + 0.5 for x ≤ 3, 1 above
registerOp('HardSwish', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', lrp: 'pass', deeplift: 'rescale-exact' }, unary(({ ops }, x, _y, gy) => {
  const mid = ops.mul(gy, ops.add(ops.scale(x, 1 / 3), ops.scalar(0.5)));
  const upper = ops.where(ops.op('LessOrEqual', [x, ops.scalar(3)]), mid, gy);
  return ops.mask(ops.op('GreaterOrEqual', [x, ops.scalar(-3)]), upper);
}));
