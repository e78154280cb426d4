import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// Only float→float casts are differentiated (the builder stops at casts to integer types).
registerGradient('Cast', unary(({ ops }, _x, _y, gy) => ops.toFloat(gy)));
