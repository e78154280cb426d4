import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('Sigmoid', { kind: 'activation', nonNegative: true, doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'pass', lrpGate: true, deeplift: 'rescale', deepliftGatePart: true }, unary(({ ops }, _x, y, gy) => ops.mul(gy, ops.mul(y, ops.sub(ops.scalar(1), y)))));
