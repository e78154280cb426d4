import { registerOp } from '../registry.js';
import { attrInt } from '../../onnx/attributes.js';
import { convPoolShape, globalPoolShape, reduceShape, type ShapeContext } from '../../onnx/shapes.js';

/**
 * Ops Lumen runs, infers shapes for or converts to float64, but cannot differentiate: no vector-Jacobian rule yet.
 * A gradient method that meets one on the path to the target stops with an error naming the op and the node.
 * Giving one a rule: move its line into a new rule file (rules/<op>.ts) with `forwardOnly` dropped.
 */
registerOp('CastLike', { kind: 'data', doubleKernel: true, layout: 'keeps', shape: 'elementwise', forwardOnly: true });
registerOp('ThresholdedRelu', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', forwardOnly: true });
registerOp('Shrink', { kind: 'activation', doubleKernel: true, shape: 'elementwise', forwardOnly: true });
registerOp('QuickGelu', { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise', forwardOnly: true });
registerOp('Cos', { kind: 'math', doubleKernel: true, shape: 'elementwise', forwardOnly: true });
registerOp('Sin', { kind: 'math', doubleKernel: true, shape: 'elementwise', forwardOnly: true });
registerOp('Tan', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Acos', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Asin', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Atan', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Sinh', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Cosh', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Asinh', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Acosh', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Atanh', { kind: 'math', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Hardmax', { kind: 'normalization', doubleKernel: false, shape: 'elementwise', forwardOnly: true });
registerOp('Mod', { kind: 'arithmetic', doubleKernel: false, shape: 'broadcast', forwardOnly: true });
registerOp('CumSum', { kind: 'math', doubleKernel: true, forwardOnly: true });
registerOp('ReduceMin', { kind: 'reduction', doubleKernel: true, shape: reduceShape, forwardOnly: true });
registerOp('ReduceL2', { kind: 'reduction', doubleKernel: true, shape: reduceShape, forwardOnly: true });
registerOp('ReduceLogSumExp', { kind: 'reduction', doubleKernel: false, shape: reduceShape, forwardOnly: true });
registerOp('ReduceProd', { kind: 'reduction', doubleKernel: true, shape: reduceShape, forwardOnly: true });
registerOp('GatherElements', { kind: 'data', doubleKernel: true, forwardOnly: true });
registerOp('GatherND', { kind: 'data', doubleKernel: true, forwardOnly: true });
registerOp('TopK', { kind: 'data', doubleKernel: true, shape: topKShape, indexOutputs: true, forwardOnly: true });
registerOp('GlobalLpPool', { kind: 'pool', doubleKernel: false, shape: globalPoolShape, layout: 'nchw', headBoundary: true, forwardOnly: true });
registerOp('ConvInteger', { kind: 'linear', doubleKernel: false, layout: 'nchw', forwardOnly: true });
registerOp('QLinearConv', { kind: 'linear', doubleKernel: false, layout: 'nchw', forwardOnly: true });
registerOp('LpPool', { kind: 'pool', doubleKernel: false, shape: convPoolShape, layout: 'nchw', forwardOnly: true });
registerOp('DepthToSpace', { kind: 'data', doubleKernel: false, layout: 'nchw', forwardOnly: true });
registerOp('SpaceToDepth', { kind: 'data', doubleKernel: false, layout: 'nchw', forwardOnly: true });
registerOp('MaxUnpool', { kind: 'data', doubleKernel: false, layout: 'nchw', forwardOnly: true });

/** Output shape of TopK (static inference, src/onnx/shapes.ts). */
function topKShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  let axis = attrInt(node, 'axis', -1);
  if (axis < 0) axis += x.length;
  const k = c.numbers(1)?.[0] ?? attrInt(node, 'k', 1);
  const out = [...x];
  out[axis] = k;
  c.out(out, 0);
  c.out([...out], 1);
}
