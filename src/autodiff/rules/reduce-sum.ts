import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';
import { reduceShape } from '../../onnx/shapes.js';

registerOp('ReduceSum', { kind: 'reduction', doubleKernel: true, fold: { reduce: [0, (a, v) => a + v] }, shape: reduceShape, axesInputSince: 13, lrp: 'plain', deeplift: 'plain' }, reduceRule('sum'));
