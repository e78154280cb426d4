import { attrInt } from '../../onnx/attributes.js';
import { foldGather } from '../../onnx/shapes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { axisOf } from './util.js';
import type { ShapeContext } from '../../onnx/shapes.js';

/**
 * Gather with constant indices: scatter-add the gradient back along the axis (repeated indices accumulate).
 * The index dims are flattened to one axis so ScatterElements can take indices shaped like the gradient.
 */
registerOp('Gather', { kind: 'data', doubleKernel: true, fold: foldGather, shape: gatherShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, graph, constantNumbers, opset }) => {
  if (!needsGradient(0)) return [];
  const [x, idxName] = [node.input[0]!, node.input[1]!];
  const idx = constantNumbers(idxName);
  if (!idx) throw new LumenError('UNSUPPORTED_OP', `Gather '${node.name}': only constant indices are differentiated`);
  const xs = shape(x);
  const axis = axisOf(attrInt(node, 'axis', 0), xs.length);
  const dim = xs[axis]!;
  if (typeof dim !== 'number') throw new LumenError('UNSUPPORTED_OP', `Gather '${node.name}' along a symbolic axis`);
  const positions = idx.map((i) => (i < 0 ? i + dim : i));
  if (opset < 16 && new Set(positions).size !== positions.length) {
    throw new LumenError('UNSUPPORTED_OP', `Gather '${node.name}' with repeated indices needs ScatterElements with reduction (opset ≥ 16)`);
  }
  const trailing = xs.slice(axis + 1);
  if (!trailing.every((d) => typeof d === 'number')) {
    // symbolic dims after the axis (e.g. Swin's qkv[0] on [3, B·windows, heads, N, d]): the gathered axis moved to
    // the front and scattered with ScatterND, which takes updates of any trailing shape. Scalar and 1-D indices.
    const idxRank = shape(idxName).length;
    if (idxRank > 1) throw new LumenError('UNSUPPORTED_OP', `Gather '${node.name}': ${idxRank}-D indices with symbolic dims after the axis`);
    const g = idxRank === 0 ? ops.unsqueeze(gradOutputs[0]!, [axis]) : gradOutputs[0]!;
    const perm = [axis, ...xs.map((_, i) => i).filter((i) => i !== axis)];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const indices = graph.addInitializer(BigInt64Array.from(positions.map((p) => BigInt(p))), [positions.length, 1], 'lumen_gather_idx');
    const attrs = opset >= 16 ? { reduction: { s: 'add' } } : {};
    const scattered = ops.op('ScatterND', [ops.zerosLike(ops.transpose(x, perm)), indices, ops.transpose(g, perm)], attrs);
    return [ops.transpose(scattered, inverse)];
  }
  const flatShape = [...xs.slice(0, axis).map(() => 0), positions.length, ...(trailing as number[])];
  const g = ops.op('Reshape', [gradOutputs[0]!, ops.int64s(flatShape)]);
  const idxShape = [...xs.slice(0, axis).map(() => 1), positions.length, ...trailing.map(() => 1)];
  const indices = graph.addInitializer(BigInt64Array.from(positions.map((p) => BigInt(p))), idxShape, 'lumen_gather_idx');
  const expanded = ops.expandLike(indices, g);
  const attrs = opset >= 16 ? { axis: { i: axis }, reduction: { s: 'add' } } : { axis: { i: axis } };
  return [ops.op('ScatterElements', [ops.zerosLike(x), expanded, g], attrs)];
});

/** Output shape of Gather (static inference, src/onnx/shapes.ts). */
function gatherShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const idx = c.in(1);
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += x.length;
  c.out([...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]);
  const v = c.value(0);
  const i = c.numbers(1);
  if (v && i && x.length === 1) c.outValue(i.map((k) => v[k < 0 ? k + v.length : k]!));
}
