import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';

registerOp('ReduceSum', { kind: 'reduction', doubleKernel: true, lrp: 'plain', deeplift: 'plain' }, reduceRule('sum'));
