import { attrInt } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { axisOf } from './util.js';

// Split the output gradient back into the concatenated pieces.
registerOp('Concat', { kind: 'data', doubleKernel: true, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, graph, opset }) => {
  const gy = gradOutputs[0]!;
  const rank = shape(node.output[0]!).length;
  const axis = axisOf(attrInt(node, 'axis', 0), rank);
  const present = node.input.map((n, i) => ({ n, i })).filter((e) => e.n);
  const sizes = present.map(({ n }) => shape(n)[axis]!);
  if (!sizes.every((s) => typeof s === 'number')) throw new LumenError('UNSUPPORTED_MODEL', `Concat '${node.name}' along a symbolic axis`);
  const parts = opset >= 13
    ? graph.addNode('Split', [gy, ops.int64s(sizes as number[])], present.length, { axis: { i: axis } })
    : graph.addNode('Split', [gy], present.length, { axis: { i: axis }, split: { ints: sizes as number[] } });
  const out: (string | undefined)[] = node.input.map(() => undefined);
  present.forEach(({ i }, k) => {
    if (needsGradient(i)) out[i] = parts[k];
  });
  return out;
});
