import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// d√x = 1/(2√x) = 0.5/y
registerGradient('Sqrt', unary(({ ops }, _x, y, gy) => ops.div(ops.scale(gy, 0.5), y)));
