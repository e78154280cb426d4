import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// d(1/x) = −1/x² = −y²
registerGradient('Reciprocal', unary(({ ops }, _x, y, gy) => ops.neg(ops.mul(gy, ops.mul(y, y)))));
