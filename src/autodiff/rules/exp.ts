import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('Exp', { kind: 'math', doubleKernel: true, fold: { each: Math.exp }, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'rescale-exact' }, unary(({ ops }, _x, y, gy) => ops.mul(gy, y)));
