import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';

registerOp('ReduceMax', { kind: 'reduction', doubleKernel: true, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reduceRule('max'));
