import { attrString } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

/**
 * Gelu (opset 20). 'none': dy = Φ(x) + x·φ(x). 'tanh': y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³),
 * dy = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²).
 */
registerOp('Gelu', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', deeplift: 'rescale-exact' }, unary(({ ops, node }, x, _y, gy) => {
  if (attrString(node, 'approximate', 'none') === 'tanh') {
    const c = Math.sqrt(2 / Math.PI);
    const x2 = ops.mul(x, x);
    const u = ops.scale(ops.add(x, ops.scale(ops.mul(x2, x), 0.044715)), c);
    const t = ops.op('Tanh', [u]);
    const du = ops.scale(ops.add(ops.scalar(1), ops.scale(x2, 3 * 0.044715)), c);
    const left = ops.scale(ops.add(ops.scalar(1), t), 0.5);
    const right = ops.mul(ops.scale(x, 0.5), ops.mul(ops.sub(ops.scalar(1), ops.mul(t, t)), du));
    return ops.mul(gy, ops.add(left, right));
  }
  const cdf = ops.scale(ops.add(ops.scalar(1), ops.op('Erf', [ops.scale(x, Math.SQRT1_2)])), 0.5);
  const pdf = ops.scale(ops.op('Exp', [ops.scale(ops.mul(x, x), -0.5)]), 1 / Math.sqrt(2 * Math.PI));
  return ops.mul(gy, ops.add(cdf, ops.mul(x, pdf)));
}));
