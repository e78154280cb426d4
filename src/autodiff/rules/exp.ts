import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('Exp', unary(({ ops }, _x, y, gy) => ops.mul(gy, y)));
