import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';
import { reduceShape } from '../../onnx/shapes.js';

registerOp('ReduceMean', { kind: 'reduction', doubleKernel: true, shape: reduceShape, axesInputSince: 18, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reduceRule('mean'));
