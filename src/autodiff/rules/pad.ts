import { attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { padsOf, addDims, type ShapeContext } from '../../onnx/shapes.js';
import { registerOp } from '../registry.js';

/** Constant-mode Pad: crop the gradient back (negative pads, which crop in the forward, are padded back). */
registerOp('Pad', { kind: 'data', doubleKernel: true, shape: padShape, layout: 'keeps', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, constantNumbers, opset }) => {
  if (!needsGradient(0)) return [];
  const mode = attrString(node, 'mode', 'constant');
  if (mode !== 'constant') throw new LumenError('UNSUPPORTED_OP', `Pad '${node.name}' in mode '${mode}' is not differentiated (only 'constant')`);
  const x = node.input[0]!;
  const xs = shape(x);
  const rank = xs.length;
  const pads = padsOf(node, rank, (i) => constantNumbers(node.input[i]!), opset);
  let g = gradOutputs[0]!;
  if (pads.some((p) => p < 0)) g = ops.op('Pad', [g, ops.int64s(pads.map((p) => Math.max(0, -p)))]);
  const axes: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < rank; i++) {
    if (pads[i]! <= 0 && pads[i + rank]! <= 0) continue;
    const d = xs[i]!;
    if (typeof d !== 'number') throw new LumenError('UNSUPPORTED_OP', `Pad '${node.name}' along a symbolic axis`);
    const b = Math.max(0, pads[i]!);
    axes.push(i);
    starts.push(b);
    ends.push(b + d);
  }
  if (axes.length) g = ops.op('Slice', [g, ops.int64s(starts), ops.int64s(ends), ops.int64s(axes)]);
  return [g];
});

/** Output shape of Pad (static inference, src/onnx/shapes.ts). */
function padShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const pads = padsOf(node, x.length, (i) => c.numbers(i), c.graph.opset);
  c.out(x.map((d, i) => addDims(d, pads[i]! + pads[i + x.length]!)));
}
