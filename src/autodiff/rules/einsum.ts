import { attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import type { ShapeContext } from '../../onnx/shapes.js';
import type { Dim } from '../../onnx/graph.js';

/**
 * Einsum (e.g. MaxViT's attention "bghid,bghjd->bghij"): the gradient of operand i is the Einsum of the output
 * gradient with the other operands into operand i's subscripts. A label only operand i has (summed away in the
 * forward) is put back by Unsqueeze + Expand. Labels must be single letters without '...' and without repeats
 * inside one operand (diagonals); size-1 broadcasting between operands is not supported (ONNX Einsum needs equal sizes).
 */
registerOp('Einsum', { kind: 'linear', doubleKernel: true, shape: einsumShape, lrp: 'contraction', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops }) => {
  const equation = attrString(node, 'equation', '').replace(/\s+/g, '');
  const fail = (why: string): never => {
    throw new LumenError('UNSUPPORTED_OP', `Einsum '${node.name}' ("${equation}"): ${why} is not differentiated`);
  };
  if (equation.includes('.')) fail('an ellipsis');
  const [lhs, given] = equation.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== node.input.length) fail('an equation whose terms do not match the inputs');
  for (const t of terms) if (new Set(t).size !== t.length) fail('a repeated label inside one operand');
  // implicit output: the labels that appear once, in alphabetical order
  const out = given ?? [...new Set(lhs.replace(/,/g, ''))].filter((c) => lhs.split(c).length === 2).sort().join('');
  if (new Set(out).size !== out.length) fail('a repeated output label');
  const gy = gradOutputs[0]!;
  return node.input.map((x, i) => {
    if (!needsGradient(i)) return undefined;
    const mine = terms[i]!;
    const others = terms.filter((_, k) => k !== i);
    const available = new Set([...out, ...others.join('')]);
    const kept = [...mine].filter((c) => available.has(c)).join('');
    const eq = `${[...others, out].join(',')}->${kept}`;
    let g = ops.op('Einsum', [...node.input.filter((_, k) => k !== i), gy], { equation: { s: eq } });
    if (kept.length !== mine.length) {
      // labels summed only from operand i: broadcast the gradient back over them
      const missing = [...mine].map((c, k) => (available.has(c) ? -1 : k)).filter((k) => k >= 0);
      g = ops.expandLike(ops.unsqueeze(g, missing), x);
    }
    return g;
  });
});

/** Output shape of Einsum (static inference, src/onnx/shapes.ts). */
function einsumShape(c: ShapeContext): void {
  const { node } = c;
  // explicit or implicit output, single-letter labels without '...': each output label takes its operand's size
  const eq = attrString(node, 'equation', '').replace(/\s+/g, '');
  if (eq.includes('.')) throw new LumenError('UNSUPPORTED_OP', `shape inference: Einsum '${node.name}' with an ellipsis`);
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const size = new Map<string, Dim>();
  lhs.split(',').forEach((term, k) => [...term].forEach((l, i) => {
    const d = c.in(k)[i]!;
    if (!size.has(l) || size.get(l) === 1) size.set(l, d);
  }));
  const out = rhs ?? [...size.keys()].filter((l) => lhs.split(l).length === 2).sort().join('');
  c.out([...out].map((l) => size.get(l) ?? '?'));
}
