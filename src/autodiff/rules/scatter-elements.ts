import { attrInt, attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { firstInputShape } from '../../onnx/shapes.js';

/**
 * ScatterElements(data, indices, updates) along `axis`: as ScatterND, element-wise — overwritten positions of data
 * get no gradient, updates the gradient at their positions (GatherElements); reduction 'add' keeps data's gradient.
 */
registerOp('ScatterElements', { kind: 'data', doubleKernel: true, shape: firstInputShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops }) => {
  const reduction = attrString(node, 'reduction', 'none');
  if (reduction !== 'none' && reduction !== 'add') throw new LumenError('UNSUPPORTED_OP', `ScatterElements '${node.name}' with reduction '${reduction}' is not differentiated`);
  const [, indices, updates] = node.input as [string, string, string];
  const axis = { axis: { i: attrInt(node, 'axis', 0) } };
  const gy = gradOutputs[0]!;
  const gData = !needsGradient(0) ? undefined : reduction === 'add' ? gy : ops.op('ScatterElements', [gy, indices, ops.zerosLike(updates)], axis);
  const gUpdates = needsGradient(2) ? ops.op('GatherElements', [gy, indices], axis) : undefined;
  return [gData, undefined, gUpdates];
});
