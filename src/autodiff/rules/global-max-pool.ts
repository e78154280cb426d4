import { LumenError } from '../../errors.js';
import { registerGradient } from '../registry.js';

// The whole gradient goes to the first maximum of each channel: ArgMax over the flattened spatial axis → one-hot.
registerGradient('GlobalMaxPool', ({ node, gradOutputs, needsGradient, shape, ops }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const spatial = shape(x).slice(2);
  if (!spatial.every((d) => typeof d === 'number')) throw new LumenError('UNSUPPORTED_MODEL', `GlobalMaxPool '${node.name}': spatial size must be known statically`);
  const area = (spatial as number[]).reduce((a, b) => a * b, 1);
  const flat = ops.op('Reshape', [x, ops.int64s([0, 0, area])]);
  const first = ops.op('ArgMax', [flat], { axis: { i: 2 }, keepdims: { i: 0 } });
  const picked = ops.op('OneHot', [first, ops.int64s([area]), ops.constant([0, 1], [2])], { axis: { i: 2 } });
  const routed = ops.mul(picked, ops.op('Reshape', [gradOutputs[0]!, ops.int64s([0, 0, 1])]));
  return [ops.reshapeLike(routed, x)];
});
