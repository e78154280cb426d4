import { LumenError } from '../../errors.js';
import { foldTile } from '../../onnx/shapes.js';
import { registerOp } from '../registry.js';
import type { ShapeContext } from '../../onnx/shapes.js';

// Tile: view the gradient as [r0, d0, r1, d1, …] and sum over the repeat axes.
registerOp('Tile', { kind: 'data', doubleKernel: true, fold: foldTile, shape: tileShape, lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape, constantNumbers }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const xs = shape(x);
  const repeats = constantNumbers(node.input[1]!);
  if (!repeats) throw new LumenError('UNSUPPORTED_OP', `Tile '${node.name}': only constant repeats are differentiated`);
  const symbolic = xs.filter((d) => typeof d !== 'number').length;
  if (symbolic > 1) throw new LumenError('UNSUPPORTED_OP', `Tile '${node.name}': more than one symbolic dimension`);
  const split = xs.flatMap((d, i) => [repeats[i]!, typeof d === 'number' ? d : -1]);
  const viewed = ops.op('Reshape', [gradOutputs[0]!, ops.int64s(split)]);
  const summed = ops.reduceSum(viewed, xs.map((_, i) => 2 * i).filter((a) => repeats[a / 2] !== 1), false);
  return [ops.reshapeLike(summed, x)];
});

/** Output shape of Tile (static inference, src/onnx/shapes.ts). */
function tileShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const reps = c.numbers(1);
  if (!reps) throw new LumenError('UNSUPPORTED_MODEL', `shape inference: Tile '${node.name}' with repeats not known statically`);
  c.out(x.map((d, i) => (reps[i] === 1 ? d : typeof d === 'number' ? d * reps[i]! : '?')));
}
