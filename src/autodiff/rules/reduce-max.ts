import { registerOp } from '../registry.js';
import { reduceRule } from './reduce.js';
import { reduceShape } from '../../onnx/shapes.js';

registerOp('ReduceMax', { kind: 'reduction', doubleKernel: true, fold: { reduce: [-Infinity, Math.max] }, shape: reduceShape, axesInputSince: 18, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reduceRule('max'));
