import { registerOp } from '../registry.js';
import { unary } from './util.js';

// Pass-through in inference (Dropout's mask output carries no gradient).
const passGradient = unary((_ctx, _x, _y, gy) => gy);
registerOp('Identity', { kind: 'shape-only', doubleKernel: true, keepsValues: true, layout: 'keeps', shape: 'identity', lrp: 'plain', deeplift: 'plain' }, passGradient);
registerOp('Dropout', { kind: 'shape-only', doubleKernel: true, outputTypes: ['input', 'bool'], keepsValues: true, layout: 'keeps', shape: 'identity', indexOutputs: true, lrp: 'plain', deeplift: 'plain' }, passGradient);
