import { registerOp } from '../registry.js';
import { foldMax, foldMin } from '../../onnx/shapes.js';
import type { GradientRule } from '../types.js';

// Sum / Mean / Max / Min over any number of broadcast inputs. Max/Min split the gradient evenly between ties.
function variadic(kind: 'sum' | 'mean' | 'extreme'): GradientRule {
  return ({ node, gradOutputs, needsGradient, ops, shape }) => {
    const gy = gradOutputs[0]!;
    const y = node.output[0]!;
    const out = shape(y);
    const inputs = node.input.filter((n) => n);
    let g = kind === 'mean' ? ops.scale(gy, 1 / inputs.length) : gy;
    let hits: string[] = [];
    if (kind === 'extreme') {
      hits = inputs.map((x) => ops.toFloat(ops.op('Equal', [x, y])));
      const count = hits.slice(1).reduce((acc, h) => ops.add(acc, h), hits[0]!);
      g = ops.div(gy, count);
    }
    return node.input.map((x, i) => {
      if (!x || !needsGradient(i)) return undefined;
      const gi = kind === 'extreme' ? ops.mul(g, hits[inputs.indexOf(x)]!) : g;
      return ops.unbroadcast(gi, out, shape(x));
    });
  };
}

registerOp('Sum', { kind: 'arithmetic', doubleKernel: true, layout: 'keeps', shape: 'broadcast', lrp: 'sum', deeplift: 'plain' }, variadic('sum'));
registerOp('Mean', { kind: 'arithmetic', doubleKernel: false, layout: 'keeps', shape: 'broadcast', lrp: 'plain', deeplift: 'plain' }, variadic('mean'));
registerOp('Max', { kind: 'arithmetic', doubleKernel: true, fold: { pairwise: foldMax }, layout: 'keeps', shape: 'broadcast', lrp: 'plain', deeplift: 'plain' }, variadic('extreme'));
registerOp('Min', { kind: 'arithmetic', doubleKernel: true, fold: { pairwise: foldMin }, layout: 'keeps', shape: 'broadcast', lrp: 'plain', deeplift: 'plain' }, variadic('extreme'));
