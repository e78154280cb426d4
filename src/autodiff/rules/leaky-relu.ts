import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

registerOp('LeakyRelu', { kind: 'activation', doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'pass', deeplift: 'rescale' }, unary(({ ops, node }, x, _y, gy) => {
  const alpha = attrFloat(node, 'alpha', 0.01);
  return ops.where(ops.greater(x, ops.scalar(0)), gy, ops.scale(gy, alpha));
}));
