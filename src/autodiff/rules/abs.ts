import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// sign(x) (0 at x = 0, as PyTorch)
registerGradient('Abs', unary(({ ops }, x, _y, gy) => ops.mul(gy, ops.op('Sign', [x]))));
