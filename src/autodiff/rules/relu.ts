import { registerOp } from '../registry.js';
import { depthwiseChannels, unary } from './util.js';

// dy/dx = [x > 0] (0 at x = 0, as PyTorch). The mask reads y (y > 0 ⇔ x > 0) so ORT can still fuse Conv+Relu; on
// float32 image tensors it is built in ORT's blocked-layout-friendly form (GraphOps.clippedStep).
registerOp('Relu', { kind: 'activation', nonNegative: true, doubleKernel: true, fold: { each: (x) => Math.max(0, x) }, layout: 'keeps', shape: 'elementwise', lrp: 'pass', deeplift: 'rescale' }, unary((ctx, _x, y, gy) => {
  const channels = depthwiseChannels(ctx, y);
  if (channels !== undefined) return ctx.ops.mul(gy, ctx.ops.clippedStep(y, channels));
  return ctx.ops.mask(ctx.ops.greater(y, ctx.ops.scalar(0)), gy);
}));
