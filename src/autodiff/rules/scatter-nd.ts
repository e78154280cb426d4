import { attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { firstInputShape, foldScatterND } from '../../onnx/shapes.js';

/**
 * ScatterND(data, indices, updates): the overwritten positions of data get no gradient (the gradient scattered over
 * with zeros), updates get the gradient gathered at their positions (GatherND). With reduction 'add' data keeps its
 * whole gradient. Indices may be computed at run time (they get no gradient).
 */
registerOp('ScatterND', { kind: 'data', doubleKernel: true, fold: foldScatterND, shape: firstInputShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops }) => {
  const reduction = attrString(node, 'reduction', 'none');
  if (reduction !== 'none' && reduction !== 'add') throw new LumenError('UNSUPPORTED_OP', `ScatterND '${node.name}' with reduction '${reduction}' is not differentiated`);
  const [, indices, updates] = node.input as [string, string, string];
  const gy = gradOutputs[0]!;
  const gData = !needsGradient(0) ? undefined : reduction === 'add' ? gy : ops.op('ScatterND', [gy, indices, ops.zerosLike(updates)]);
  const gUpdates = needsGradient(2) ? ops.op('GatherND', [gy, indices]) : undefined;
  return [gData, undefined, gUpdates];
});
