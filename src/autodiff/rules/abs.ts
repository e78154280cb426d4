import { registerOp } from '../registry.js';
import { unary } from './util.js';

// sign(x) (0 at x = 0, as PyTorch)
registerOp('Abs', { kind: 'math', doubleKernel: true, fold: { each: Math.abs }, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'rescale-exact' }, unary(({ ops }, x, _y, gy) => ops.mul(gy, ops.op('Sign', [x]))));
