import { registerOp } from '../registry.js';
import { unary } from './util.js';

// d(1/x) = −1/x² = −y²
registerOp('Reciprocal', { kind: 'math', doubleKernel: true, fold: { each: (x) => 1 / x }, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'rescale-exact' }, unary(({ ops }, _x, y, gy) => ops.neg(ops.mul(gy, ops.mul(y, y)))));
