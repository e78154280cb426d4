import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { depthwiseChannels, unary } from './util.js';
import { globalPoolShape } from '../../onnx/shapes.js';

registerOp('GlobalAveragePool', { kind: 'pool', doubleKernel: false, shape: globalPoolShape, layout: 'nchw', headBoundary: true, lrp: 'average-pool', deeplift: 'plain' }, unary((ctx, x, _y, gy) => {
  const { ops, shape, node } = ctx;
  const area = shape(x).slice(2).reduce<number>((a, d) => {
    if (typeof d !== 'number') throw new LumenError('UNSUPPORTED_MODEL', `GlobalAveragePool '${node.name}': spatial size must be known statically`);
    return a * d;
  }, 1);
  const xs = shape(x);
  // a constant target shape [1, C, h, w] keeps the gradient's shape known to ORT (Expand broadcasts the batch)
  if (xs.slice(1).every((d) => typeof d === 'number')) {
    // the scale as a depthwise conv: the same numbers, and the gradient enters ORT's blocked layout here
    const channels = depthwiseChannels(ctx, x);
    if (channels !== undefined) return ops.depthwiseAffine(ops.op('Expand', [gy, ops.int64s([1, ...(xs.slice(1) as number[])])]), channels, 1 / area, 0);
    return ops.op('Expand', [ops.scale(gy, 1 / area), ops.int64s([1, ...(xs.slice(1) as number[])])]);
  }
  return ops.expandLike(ops.scale(gy, 1 / area), x);
}));
