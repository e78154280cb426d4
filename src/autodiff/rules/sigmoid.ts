import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('Sigmoid', unary(({ ops }, _x, y, gy) => ops.mul(gy, ops.mul(y, ops.sub(ops.scalar(1), y)))));
