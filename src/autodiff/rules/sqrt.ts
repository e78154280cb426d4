import { registerOp } from '../registry.js';
import { unary } from './util.js';

// d√x = 1/(2√x) = 0.5/y
registerOp('Sqrt', { kind: 'math', doubleKernel: true, fold: { each: Math.sqrt }, layout: 'keeps', shape: 'elementwise', lrp: 'plain', deeplift: 'rescale-exact' }, unary(({ ops }, _x, y, gy) => ops.div(ops.scale(gy, 0.5), y)));
