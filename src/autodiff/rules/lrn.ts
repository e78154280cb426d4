import { attrFloat, attrInt } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';

/**
 * LRN across channels: y_i = x_i·D_i^(−β), D_i = k + α/n·Σ_{j ∈ W(i)} x_j², W(i) = [i − ⌊(n−1)/2⌋, i + ⌈(n−1)/2⌉].
 * gx_j = gy_j·D_j^(−β) − (2αβ/n)·x_j·Σ_{i: j ∈ W(i)} gy_i·x_i·D_i^(−β−1). Channel-window sums are a Conv over the
 * channel axis of the [N, 1, C, H·W] view (reflected window for the second sum).
 */
registerOp('LRN', { kind: 'normalization', doubleKernel: false, layout: 'nchw', shape: 'elementwise', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const xs = shape(x);
  const [channels, ...rest] = xs.slice(1);
  if (typeof channels !== 'number' || !rest.every((d) => typeof d === 'number')) throw new LumenError('UNSUPPORTED_MODEL', `LRN '${node.name}': channels and spatial size must be static`);
  const size = attrInt(node, 'size', 1);
  const alpha = attrFloat(node, 'alpha', 1e-4);
  const beta = attrFloat(node, 'beta', 0.75);
  const bias = attrFloat(node, 'bias', 1);
  const plane = (rest as number[]).reduce((a, b) => a * b, 1);
  const [before, after] = [Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2)];
  const ones = ops.constant(new Float32Array(size).fill(1), [1, 1, size, 1]);
  const channelSum = (t: string, padBefore: number, padAfter: number): string => {
    const view = ops.op('Reshape', [t, ops.int64s([0, 1, channels, plane])]);
    const summed = ops.op('Conv', [view, ones], { pads: { ints: [padBefore, 0, padAfter, 0] }, kernel_shape: { ints: [size, 1] } });
    return ops.reshapeLike(summed, x);
  };
  const d = ops.add(ops.scalar(bias), ops.scale(channelSum(ops.mul(x, x), before, after), alpha / size));
  const dPow = ops.op('Pow', [d, ops.scalar(-beta)]);
  const gy = gradOutputs[0]!;
  const inner = ops.div(ops.mul(ops.mul(gy, x), dPow), d);
  const back = ops.scale(ops.mul(x, channelSum(inner, after, before)), (2 * alpha * beta) / size);
  return [ops.sub(ops.mul(gy, dPow), back)];
});
