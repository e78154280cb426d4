import { attrFloat } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { depthwiseChannels, unary } from './util.js';

/**
 * Gradient passes strictly inside (min, max), as PyTorch's hardtanh/ReLU6 backward. Bounds come from the
 * min/max inputs (opset ≥ 11, each optional) or the attributes (before).
 */
// The mask reads y: min < y < max ⇔ min < x < max, and reading y keeps Conv+Clip fusable.
registerOp('Clip', { kind: 'activation', nonNegative: true, doubleKernel: true, layout: 'keeps', shape: 'elementwise', lrp: 'pass', deeplift: 'rescale-exact' }, unary((ctx, _x, y, gy) => {
  const { ops, node, opset, constantNumbers } = ctx;
  let lo: string | undefined;
  let hi: string | undefined;
  if (opset >= 11) {
    lo = node.input[1] || undefined;
    hi = node.input[2] || undefined;
  } else {
    lo = ops.scalar(attrFloat(node, 'min', -3.4028234663852886e38));
    hi = ops.scalar(attrFloat(node, 'max', 3.4028234663852886e38));
  }
  // ReLU6-style bounds (0, constant hi) on an image tensor: the blocked-layout-friendly mask (see Relu)
  const loValue = lo ? constantNumbers(lo) : undefined;
  const hiValue = hi ? constantNumbers(hi) : undefined;
  const channels = depthwiseChannels(ctx, y);
  if (channels !== undefined && loValue?.length === 1 && loValue[0] === 0 && (!hi || (hiValue?.length === 1 && hiValue[0]! > 0))) {
    return ops.mul(gy, ops.clippedStep(y, channels, hiValue?.[0]));
  }
  let inside: string | undefined;
  if (lo) inside = ops.greater(y, lo);
  if (hi) {
    const below = ops.less(y, hi);
    inside = inside ? ops.and(inside, below) : below;
  }
  return inside ? ops.mask(inside, gy) : gy;
}));
