import { attrInt } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { reduceAxes } from '../../onnx/shapes.js';
import type { GradientContext, GradientRule } from '../types.js';

/** Shared by ReduceSum / ReduceMean / ReduceMax: axes, keepdims and the gradient brought back to x's rank. */
export function reduceRule(kind: 'sum' | 'mean' | 'max'): GradientRule {
  return (ctx: GradientContext) => {
    const { node, gradOutputs, needsGradient, ops, shape, constantNumbers, opset } = ctx;
    if (!needsGradient(0)) return [];
    const x = node.input[0]!;
    const xs = shape(x);
    const axes = reduceAxes(node, xs.length, (i) => constantNumbers(node.input[i]!), opset);
    if (axes.length === 0) return [gradOutputs[0]!];
    const keep = attrInt(node, 'keepdims', 1) === 1;
    const gKeep = keep ? gradOutputs[0]! : ops.unsqueeze(gradOutputs[0]!, axes);
    if (kind === 'sum') return [ops.expandLike(gKeep, x)];
    if (kind === 'mean') {
      let count = 1;
      for (const a of axes) {
        const d = xs[a]!;
        if (typeof d !== 'number') throw new LumenError('UNSUPPORTED_MODEL', `ReduceMean '${node.name}' over a symbolic axis`);
        count *= d;
      }
      return [ops.expandLike(ops.scale(gKeep, 1 / count), x)];
    }
    // max: split evenly between tied maxima (as torch.amax)
    const y = keep ? node.output[0]! : ops.unsqueeze(node.output[0]!, axes);
    const hit = ops.toFloat(ops.op('Equal', [x, y]));
    const ties = ops.reduceSum(hit, axes, true);
    return [ops.mul(hit, ops.div(gKeep, ties))];
  };
}
