import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// d/dx log(1 + e^x) = sigmoid(x)
registerGradient('Softplus', unary(({ ops }, x, _y, gy) => ops.mul(gy, ops.op('Sigmoid', [x]))));
