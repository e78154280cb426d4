import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// dy/dx = [x > 0] (0 at x = 0, as PyTorch)
registerGradient('Relu', unary(({ ops }, x, _y, gy) => ops.mask(ops.greater(x, ops.scalar(0)), gy)));
