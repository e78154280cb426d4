import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('Neg', unary(({ ops }, _x, _y, gy) => ops.neg(gy)));
