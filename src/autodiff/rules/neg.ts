import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('Neg', { kind: 'math', doubleKernel: true, fold: { each: (x) => -x }, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, unary(({ ops }, _x, _y, gy) => ops.neg(gy)));
