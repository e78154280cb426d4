import { attrInt } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { axisOf } from './util.js';
import { foldConcat, sumDims, type ShapeContext } from '../../onnx/shapes.js';

// Split the output gradient back into the concatenated pieces.
registerOp('Concat', { kind: 'data', doubleKernel: true, fold: foldConcat, shape: concatShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, graph, opset }) => {
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

/** Output shape of Concat (static inference, src/onnx/shapes.ts). */
function concatShape(c: ShapeContext): void {
  const { node } = c;
  const ins = node.input.map((_, i) => i).filter((i) => c.has(i));
  const first = c.in(ins[0]!);
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += first.length;
  const out = [...first];
  out[axis] = sumDims(ins.map((i) => c.in(i)[axis]!));
  c.out(out);
  const vals = ins.map((i) => c.value(i));
  if (vals.every((v) => v) && first.length === 1) c.outValue(vals.flatMap((v) => v!));
}
