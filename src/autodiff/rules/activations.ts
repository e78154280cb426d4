import { attrFloat } from '../../onnx/attributes.js';
import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// Smooth elementwise ops, written from their derivatives in terms of x or y.
registerGradient('Sigmoid', unary(({ ops }, _x, y, gy) => ops.mul(gy, ops.mul(y, ops.sub(ops.scalar(1), y)))));
registerGradient('Tanh', unary(({ ops }, _x, y, gy) => ops.mul(gy, ops.sub(ops.scalar(1), ops.mul(y, y)))));
registerGradient('Softplus', unary(({ ops }, x, _y, gy) => ops.mul(gy, ops.op('Sigmoid', [x]))));
registerGradient('Exp', unary(({ ops }, _x, y, gy) => ops.mul(gy, y)));
registerGradient('Log', unary(({ ops }, x, _y, gy) => ops.div(gy, x)));
registerGradient('Sqrt', unary(({ ops }, _x, y, gy) => ops.div(ops.scale(gy, 0.5), y)));
registerGradient('Neg', unary(({ ops }, _x, _y, gy) => ops.neg(gy)));
registerGradient('Abs', unary(({ ops }, x, _y, gy) => ops.mul(gy, ops.op('Sign', [x]))));
registerGradient('Reciprocal', unary(({ ops }, _x, y, gy) => ops.neg(ops.mul(gy, ops.mul(y, y)))));
registerGradient('Erf', unary(({ ops }, x, _y, gy) => {
  const e = ops.op('Exp', [ops.neg(ops.mul(x, x))]);
  return ops.mul(gy, ops.scale(e, 2 / Math.sqrt(Math.PI)));
}));

registerGradient('Elu', unary(({ ops, node }, x, y, gy) => {
  const alpha = attrFloat(node, 'alpha', 1);
  return ops.where(ops.greater(x, ops.scalar(0)), gy, ops.mul(gy, ops.add(y, ops.scalar(alpha))));
}));

// y = max(0, min(1, αx + β)): slope α strictly inside (0, 1)
registerGradient('HardSigmoid', unary(({ ops, node }, x, _y, gy) => {
  const alpha = attrFloat(node, 'alpha', 0.2);
  const beta = attrFloat(node, 'beta', 0.5);
  const z = ops.add(ops.scale(x, alpha), ops.scalar(beta));
  const inside = ops.and(ops.greater(z, ops.scalar(0)), ops.less(z, ops.scalar(1)));
  return ops.mask(inside, ops.scale(gy, alpha));
}));

// y = x·relu6(x + 3)/6; PyTorch: 0 for x < −3, x/3 + 0.5 for x ≤ 3, 1 above
registerGradient('HardSwish', unary(({ ops }, x, _y, gy) => {
  const mid = ops.mul(gy, ops.add(ops.scale(x, 1 / 3), ops.scalar(0.5)));
  const upper = ops.where(ops.op('LessOrEqual', [x, ops.scalar(3)]), mid, gy);
  return ops.mask(ops.op('GreaterOrEqual', [x, ops.scalar(-3)]), upper);
}));

// Exponent must be a constant (no gradient w.r.t. it): d(x^b) = b·x^(b−1)
registerGradient('Pow', ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const [x, b] = [node.input[0]!, node.input[1]!];
  if (needsGradient(1)) return [undefined, undefined];
  const gy = gradOutputs[0]!;
  const d = ops.mul(b, ops.op('Pow', [x, ops.sub(b, ops.scalar(1))]));
  return [ops.unbroadcast(ops.mul(gy, d), shape(node.output[0]!), shape(x))];
});

for (const op of ['Identity', 'Dropout']) {
  registerGradient(op, unary((_ctx, _x, _y, gy) => gy));
}

// Only float→float casts are differentiated (the builder stops at casts to integer types).
registerGradient('Cast', unary(({ ops }, _x, _y, gy) => ops.toFloat(gy)));
