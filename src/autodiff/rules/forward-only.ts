import { registerOp, type OpTraits } from '../registry.js';
import { attrInt } from '../../onnx/attributes.js';
import { TensorProto_DataType as T } from '../../onnx/proto.js';
import { foldMod, globalPoolShape, poolShape, reduceShape, type ShapeContext } from '../../onnx/shapes.js';

/**
 * Ops Lumen runs, infers shapes for or converts to float64, but cannot differentiate: no vector-Jacobian rule yet.
 * A gradient method that meets one on the path to the target stops with an error naming the op and the node.
 * One line per group of ops with the same traits. Giving one a rule: move it into a new rule file (rules/<op>.ts),
 * declared with registerOp and its traits.
 */
forwardOnly(['CastLike'], { kind: 'data', doubleKernel: true, inferTypes: ({ node, typeOf }) => [typeOf(node.input[1])], layout: 'keeps', shape: 'elementwise' });
// ThresholdedRelu: x where x > alpha, else 0 — never negative with its default alpha 1 (and any alpha ≥ 0)
forwardOnly(['ThresholdedRelu'], { kind: 'activation', nonNegative: true, doubleKernel: false, layout: 'keeps', shape: 'elementwise' });
forwardOnly(['QuickGelu'], { kind: 'activation', doubleKernel: false, layout: 'keeps', shape: 'elementwise' });
forwardOnly(['Shrink'], { kind: 'activation', doubleKernel: true, shape: 'elementwise' });
forwardOnly(['Cos', 'Sin'], { kind: 'math', doubleKernel: true, shape: 'elementwise' });
forwardOnly(['Tan', 'Acos', 'Asin', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh'], { kind: 'math', doubleKernel: false, shape: 'elementwise' });
forwardOnly(['Hardmax'], { kind: 'normalization', doubleKernel: false, shape: 'elementwise' });
forwardOnly(['Mod'], { kind: 'arithmetic', doubleKernel: false, shape: 'broadcast', fold: { pairwise: foldMod } });
forwardOnly(['CumSum'], { kind: 'math', doubleKernel: true });
forwardOnly(['ReduceL2'], { kind: 'reduction', doubleKernel: true, shape: reduceShape, axesInputSince: 18 });
forwardOnly(['ReduceMin'], { kind: 'reduction', doubleKernel: true, shape: reduceShape, axesInputSince: 18, fold: { reduce: [Infinity, Math.min] } });
forwardOnly(['ReduceProd'], { kind: 'reduction', doubleKernel: true, shape: reduceShape, axesInputSince: 18, fold: { reduce: [1, (a, v) => a * v] } });
forwardOnly(['ReduceLogSumExp'], { kind: 'reduction', doubleKernel: false, shape: reduceShape, axesInputSince: 18 });
forwardOnly(['GatherElements', 'GatherND'], { kind: 'data', doubleKernel: true });
forwardOnly(['TopK'], { kind: 'data', doubleKernel: true, outputTypes: ['input', 'int64'], shape: topKShape, indexOutputs: true });
forwardOnly(['GlobalLpPool'], { kind: 'pool', doubleKernel: false, shape: globalPoolShape, layout: 'nchw', headBoundary: true });
forwardOnly(['ConvInteger', 'QLinearConv'], { kind: 'linear', doubleKernel: false, layout: 'nchw' });
forwardOnly(['LpPool'], { kind: 'pool', doubleKernel: false, shape: poolShape, layout: 'nchw' });
forwardOnly(['DepthToSpace', 'SpaceToDepth', 'MaxUnpool'], { kind: 'data', doubleKernel: false, layout: 'nchw' });
forwardOnly(['Unique'], { kind: 'data', doubleKernel: false, outputTypes: ['input', 'int64', 'int64', 'int64'] });
// quantization (QDQ and dynamically quantized models): float64 conversion refuses them, a gradient method names them
// (`quantizes`: a QuantizeLinear's integer output does not hide the path from the builder)
forwardOnly(['QuantizeLinear'], { kind: 'data', doubleKernel: false, quantizes: true, inferTypes: ({ node, typeOf }) => [node.input[2] ? typeOf(node.input[2]) : T.UINT8] });
forwardOnly(['DequantizeLinear'], { kind: 'data', doubleKernel: false, inferTypes: ({ node, typeOf }) => [typeOf(node.input[1]) || T.FLOAT] });
forwardOnly(['DynamicQuantizeLinear'], { kind: 'data', doubleKernel: false, quantizes: true, inferTypes: () => [T.UINT8, T.FLOAT, T.UINT8] });
// subgraphs: their outputs' element types (and shapes) are left unknown
forwardOnly(['If', 'Loop', 'Scan'], { kind: 'control-flow', doubleKernel: false, inferTypes: () => [0] });

/** Declare ops that share these traits as forward-only (no rule). */
function forwardOnly(opTypes: readonly string[], traits: Omit<OpTraits, 'forwardOnly'>): void {
  for (const op of opTypes) registerOp(op, { ...traits, forwardOnly: true });
}

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
