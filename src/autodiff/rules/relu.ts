import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// dy/dx = [x > 0] (0 at x = 0, as PyTorch). The mask reads y (y > 0 ⇔ x > 0) so ORT can still fuse Conv+Relu; on
// float32 image tensors it is built in ORT's blocked-layout-friendly form (GraphOps.clippedStep; Conv has no double kernel).
registerGradient('Relu', unary(({ ops, shape, precision }, _x, y, gy) => {
  const ys = shape(y);
  const channels = ys[1];
  if (precision !== 'float64' && ys.length === 4 && typeof channels === 'number') return ops.mul(gy, ops.clippedStep(y, channels));
  return ops.mask(ops.greater(y, ops.scalar(0)), gy);
}));
