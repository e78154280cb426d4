import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';

registerOp('ReduceMean', { kind: 'reduction', doubleKernel: true, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reduceRule('mean'));
