import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { globalPoolShape } from '../../onnx/shapes.js';

// The whole gradient goes to the first maximum of each channel: ArgMax over the flattened spatial axis, one-hot by
// comparison with the position numbers.
registerOp('GlobalMaxPool', { kind: 'pool', doubleKernel: false, shape: globalPoolShape, layout: 'nchw', headBoundary: true, lrp: 'pool', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, shape, ops }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const spatial = shape(x).slice(2);
  if (!spatial.every((d) => typeof d === 'number')) throw new LumenError('UNSUPPORTED_MODEL', `GlobalMaxPool '${node.name}': spatial size must be known statically`);
  const area = (spatial as number[]).reduce((a, b) => a * b, 1);
  const flat = ops.op('Reshape', [x, ops.int64s([0, 0, area])]);
  const first = ops.op('ArgMax', [flat], { axis: { i: 2 }, keepdims: { i: 1 } });
  const slots = ops.graph.addInitializer(BigInt64Array.from({ length: area }, (_, k) => BigInt(k)), [1, 1, area], 'lumen_positions');
  const picked = ops.toFloat(ops.op('Equal', [first, slots]));
  const routed = ops.mul(picked, ops.op('Reshape', [gradOutputs[0]!, ops.int64s([0, 0, 1])]));
  return [ops.reshapeLike(routed, x)];
});
