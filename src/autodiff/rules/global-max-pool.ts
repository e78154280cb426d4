import { LumenError } from '../../errors.js';
import { registerGradient } from '../registry.js';
import { scatterToInput } from './max-pool.js';

// The whole gradient goes to the first maximum, found by a MaxPool over the full spatial extent with Indices.
registerGradient('GlobalMaxPool', (ctx) => {
  const { node, gradOutputs, needsGradient, shape, graph } = ctx;
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const spatial = shape(x).slice(2);
  if (!spatial.every((d) => typeof d === 'number')) throw new LumenError('UNSUPPORTED_MODEL', `GlobalMaxPool '${node.name}': spatial size must be known statically`);
  const [, indices] = graph.addNode('MaxPool', [x], 2, { kernel_shape: { ints: spatial as number[] } });
  return [scatterToInput(ctx, x, gradOutputs[0]!, indices!)];
});
