import { attrInt, attrInts } from '../../onnx/attributes.js';
import { registerOp } from '../registry.js';
import { axisOf } from './util.js';
import { LumenError } from '../../errors.js';
import type { ShapeContext } from '../../onnx/shapes.js';

// Concatenate the output gradients (zeros for outputs nothing flows into).
registerOp('Split', { kind: 'data', doubleKernel: true, shape: splitShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  const rank = shape(node.input[0]!).length;
  const axis = axisOf(attrInt(node, 'axis', 0), rank);
  const parts = node.output.map((o, i) => gradOutputs[i] ?? ops.zerosLike(o));
  return [ops.op('Concat', parts, { axis: { i: axis } })];
});

/** Output shape of Split (static inference, src/onnx/shapes.ts). */
function splitShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  let axis = attrInt(node, 'axis', 0);
  if (axis < 0) axis += x.length;
  const count = node.output.length;
  let sizes = c.opsetAtLeast13() ? c.numbers(1) : attrInts(node, 'split');
  if (!sizes) {
    const total = x[axis]!;
    if (typeof total !== 'number') throw new LumenError('UNSUPPORTED_MODEL', `shape inference: Split '${node.name}' along a symbolic axis`);
    const part = Math.ceil(total / count);
    sizes = Array.from({ length: count }, (_, i) => Math.min(part, total - part * i));
  }
  sizes.forEach((s, i) => {
    const o = [...x];
    o[axis] = s;
    c.out(o, i);
  });
}
