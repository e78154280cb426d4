import { LumenError } from '../../errors.js';
import { foldSlice, sliceSpec, type ShapeContext } from '../../onnx/shapes.js';
import { registerOp } from '../registry.js';
import type { Dim } from '../../onnx/graph.js';

/**
 * The gradient of a slice is the output gradient put back at its place in zeros of x's shape. Step 1 is a Pad;
 * other positive steps first interleave zeros (Unsqueeze → Pad → Reshape) along that axis.
 */
registerOp('Slice', { kind: 'data', doubleKernel: true, fold: foldSlice, shape: sliceShape, layout: 'keeps', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, constantNumbers, opset }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const xs = shape(x);
  const rank = xs.length;
  const spec = sliceSpec(node, xs, (i) => constantNumbers(node.input[i]!), opset);
  let g = gradOutputs[0]!;
  const pads = new Array<number>(2 * rank).fill(0);
  const ys = [...shape(node.output[0]!)];
  for (const s of spec) {
    const dim = xs[s.axis]!;
    if (typeof dim !== 'number') continue; // full slice of a symbolic axis
    if (s.length === 0) return [ops.zerosLike(x)];
    if (s.step < 0) throw new LumenError('UNSUPPORTED_OP', `Slice '${node.name}' with a negative step is not differentiated`);
    if (s.step > 1) {
      // [.., L, ..] → [.., L, 1, ..] → pad to [.., L, step, ..] → [.., L·step, ..] → keep (L−1)·step + 1
      const withUnit = ops.unsqueeze(g, [s.axis + 1]);
      const interPads = new Array<number>(2 * (rank + 1)).fill(0);
      interPads[s.axis + 1 + rank + 1] = s.step - 1;
      const padded = ops.op('Pad', [withUnit, ops.int64s(interPads)]);
      // 0 copies a leading (possibly symbolic) dim; dims after the axis must be static
      const target = ys.map((d, i) => (i === s.axis ? s.length * s.step : i < s.axis ? 0 : d));
      if (target.some((d) => typeof d !== 'number')) throw new LumenError('UNSUPPORTED_OP', `Slice '${node.name}': strided slice before a symbolic axis`);
      const merged = ops.op('Reshape', [padded, ops.int64s(target as number[])]);
      g = ops.op('Slice', [merged, ops.int64s([0]), ops.int64s([(s.length - 1) * s.step + 1]), ops.int64s([s.axis])]);
      ys[s.axis] = (s.length - 1) * s.step + 1;
    }
    pads[s.axis] = s.start;
    pads[s.axis + rank] = dim - s.start - (ys[s.axis] as number);
  }
  return [pads.some((p) => p !== 0) ? ops.op('Pad', [g, ops.int64s(pads)]) : g];
});

/** Output shape of Slice (static inference, src/onnx/shapes.ts). */
function sliceShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const spec = sliceSpec(node, x, (i) => c.numbers(i), c.graph.opset);
  const out = [...x];
  for (const s of spec) out[s.axis] = s.length;
  c.out(out);
  const v = c.value(0);
  if (v && x.length === 1 && spec.length === 1) {
    const s = spec[0]!;
    const picked: Dim[] = [];
    for (let k = 0; k < s.length; k++) picked.push(v[s.start + k * s.step]!);
    c.outValue(picked);
  }
}
