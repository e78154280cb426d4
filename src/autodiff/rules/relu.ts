import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// dy/dx = [x > 0] (0 at x = 0, as PyTorch). The mask reads y (y > 0 ⇔ x > 0) so ORT can still fuse Conv+Relu.
registerGradient('Relu', unary(({ ops }, _x, y, gy) => ops.mask(ops.greater(y, ops.scalar(0)), gy)));
