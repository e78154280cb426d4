import { attrFloat } from '../../onnx/attributes.js';
import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('LeakyRelu', unary(({ ops, node }, x, _y, gy) => {
  const alpha = attrFloat(node, 'alpha', 0.01);
  return ops.where(ops.greater(x, ops.scalar(0)), gy, ops.scale(gy, alpha));
}));
