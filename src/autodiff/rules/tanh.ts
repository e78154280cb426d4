import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('Tanh', unary(({ ops }, _x, y, gy) => ops.mul(gy, ops.sub(ops.scalar(1), ops.mul(y, y)))));
