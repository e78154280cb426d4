import { registerOp } from '../registry.js';
import { reshapeBack } from './reshape.js';
import { attrInts } from '../../onnx/attributes.js';
import type { ShapeContext } from '../../onnx/shapes.js';
import type { Dim } from '../../onnx/graph.js';

registerOp('Unsqueeze', { kind: 'shape-only', doubleKernel: true, keepsValues: true, shape: unsqueezeShape, lrp: 'plain', deeplift: 'plain' }, reshapeBack);

/** Output shape of Unsqueeze (static inference, src/onnx/shapes.ts). */
function unsqueezeShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const axes = (c.opsetAtLeast13() ? c.numbers(1) : attrInts(node, 'axes')) ?? [];
  const rank = x.length + axes.length;
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x[j++]!);
  c.out(out);
  const v = c.value(0);
  if (v && x.length === 0) c.outValue(v);
}
