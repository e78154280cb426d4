import { registerOp } from '../registry.js';

// y = x if x > 0 else slope·x (slope broadcast to x)
registerOp('PRelu', { kind: 'activation', doubleKernel: true, layout: 'keeps', shape: 'broadcast', lrp: 'pass', deeplift: 'rescale-exact' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  const [x, slope] = [node.input[0]!, node.input[1]!];
  const gy = gradOutputs[0]!;
  const positive = ops.greater(x, ops.scalar(0));
  const gx = needsGradient(0) ? ops.where(positive, gy, ops.mul(gy, slope)) : undefined;
  const gSlope = needsGradient(1)
    ? ops.unbroadcast(ops.where(positive, ops.scalar(0), ops.mul(gy, x)), shape(node.output[0]!), shape(slope))
    : undefined;
  return [gx, gSlope];
});
