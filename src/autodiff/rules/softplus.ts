import { registerOp } from '../registry.js';
import { unary } from './util.js';

// d/dx log(1 + e^x) = sigmoid(x)
registerOp('Softplus', { kind: 'activation', nonNegative: true, doubleKernel: false, layout: 'keeps', shape: 'elementwise', lrp: 'pass', deeplift: 'rescale', deepliftGatePart: true }, unary(({ ops }, x, _y, gy) => ops.mul(gy, ops.op('Sigmoid', [x]))));
