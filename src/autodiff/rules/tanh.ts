import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('Tanh', { kind: 'activation', doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'pass', lrpGate: true, deeplift: 'rescale', deepliftGatePart: true }, unary(({ ops }, _x, y, gy) => ops.mul(gy, ops.sub(ops.scalar(1), ops.mul(y, y)))));
