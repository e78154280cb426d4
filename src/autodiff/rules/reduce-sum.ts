import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';
import { reduceShape } from '../../onnx/shapes.js';

registerOp('ReduceSum', { kind: 'reduction', doubleKernel: true, shape: reduceShape, lrp: 'plain', deeplift: 'plain' }, reduceRule('sum'));
