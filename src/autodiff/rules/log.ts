import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('Log', { kind: 'math', doubleKernel: true, fold: { each: Math.log }, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'rescale-exact' }, unary(({ ops }, x, _y, gy) => ops.div(gy, x)));
