import { registerOp, type TypeContext } from '../registry.js';
import { attrInt, attrTensor } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { foldAnd, foldConstantOfShape, foldEqual, foldGreater, foldGreaterOrEqual, foldLess, foldLessOrEqual, foldOr, foldRange, foldXor, MAX_FOLD, product, reducedDims, type ShapeContext } from '../../onnx/shapes.js';
import { roundHalfEven } from '../../math/round.js';
import { TensorProto_DataType } from '../../onnx/proto.js';
import { tensorDims, tensorNumbers } from '../../onnx/tensor-proto.js';

/**
 * Ops whose outputs carry no gradient: shape arithmetic, comparisons, index outputs, random numbers. The builder never
 * walks through them, so e.g. a Reshape whose target comes from Shape(x) is differentiated only w.r.t. its data.
 */
registerOp('Shape', { kind: 'no-gradient', doubleKernel: true, shape: shapeShape, outputTypes: ['int64'] });
registerOp('Size', { kind: 'no-gradient', doubleKernel: true, shape: sizeShape, outputTypes: ['int64'] });
registerOp('Constant', { kind: 'no-gradient', doubleKernel: true, float64: 'value-attributes', shape: constantShape, inferTypes: constantTypes });
registerOp('ConstantOfShape', { kind: 'no-gradient', doubleKernel: true, float64: 'fill-value', fold: foldConstantOfShape, shape: constantOfShapeShape, inferTypes: ({ node }) => [attrTensor(node, 'value')?.dataType ?? TensorProto_DataType.FLOAT] });
registerOp('Range', { kind: 'no-gradient', doubleKernel: true, fold: foldRange, shape: rangeShape });
registerOp('ArgMax', { kind: 'no-gradient', doubleKernel: true, shape: argShape, outputTypes: ['int64'] });
registerOp('ArgMin', { kind: 'no-gradient', doubleKernel: true, shape: argShape, outputTypes: ['int64'] });
registerOp('NonZero', { kind: 'no-gradient', doubleKernel: false, outputTypes: ['int64'] });
registerOp('OneHot', { kind: 'no-gradient', doubleKernel: false, float64: 'float-then-cast', shape: oneHotShape, inferTypes: ({ node, typeOf }) => [typeOf(node.input[2])] });
registerOp('EyeLike', { kind: 'no-gradient', doubleKernel: false, inferTypes: dtypeOr('input') });
registerOp('Equal', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldEqual }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('Greater', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldGreater }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('Less', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldLess }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('GreaterOrEqual', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldGreaterOrEqual }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('LessOrEqual', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldLessOrEqual }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('And', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldAnd }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('Or', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldOr }, shape: 'broadcast', outputTypes: ['bool'] });
registerOp('Xor', { kind: 'no-gradient', doubleKernel: true, fold: { pairwise: foldXor }, outputTypes: ['bool'] });
registerOp('Not', { kind: 'no-gradient', doubleKernel: true, fold: { each: (x) => (x ? 0 : 1) }, shape: 'elementwise', outputTypes: ['bool'] });
registerOp('IsNaN', { kind: 'no-gradient', doubleKernel: false, shape: 'elementwise', outputTypes: ['bool'] });
registerOp('IsInf', { kind: 'no-gradient', doubleKernel: false, outputTypes: ['bool'] });
registerOp('Sign', { kind: 'no-gradient', doubleKernel: true, fold: { each: Math.sign }, shape: 'elementwise' });
registerOp('Floor', { kind: 'no-gradient', doubleKernel: true, fold: { each: Math.floor }, shape: 'elementwise' });
registerOp('Ceil', { kind: 'no-gradient', doubleKernel: true, fold: { each: Math.ceil }, shape: 'elementwise' });
registerOp('Round', { kind: 'no-gradient', doubleKernel: false, fold: { each: roundHalfEven }, shape: 'elementwise' });
registerOp('RandomNormal', { kind: 'no-gradient', doubleKernel: false, inferTypes: dtypeOr(TensorProto_DataType.FLOAT) });
registerOp('RandomUniform', { kind: 'no-gradient', doubleKernel: false, inferTypes: dtypeOr(TensorProto_DataType.FLOAT) });
registerOp('RandomNormalLike', { kind: 'no-gradient', doubleKernel: false, inferTypes: dtypeOr('input') });
registerOp('RandomUniformLike', { kind: 'no-gradient', doubleKernel: false, inferTypes: dtypeOr('input') });
registerOp('Multinomial', { kind: 'no-gradient', doubleKernel: false, inferTypes: dtypeOr(TensorProto_DataType.INT32) });

/** Element type of Constant: its `value` tensor's, or float / int64 / string for the value_* attributes. */
function constantTypes({ node }: TypeContext): number[] {
  const t = attrTensor(node, 'value');
  if (t) return [t.dataType];
  const a = node.attribute[0];
  if (!a) return [0];
  if (a.name === 'value_float' || a.name === 'value_floats') return [TensorProto_DataType.FLOAT];
  if (a.name === 'value_int' || a.name === 'value_ints') return [TensorProto_DataType.INT64];
  if (a.name === 'value_string' || a.name === 'value_strings') return [TensorProto_DataType.STRING];
  return [0];
}

/** The `dtype` attribute, else a type (float: RandomNormal, RandomUniform; int32: Multinomial) or the input's type (the *Like ops, EyeLike). */
function dtypeOr(fallback: number | 'input'): (c: TypeContext) => number[] {
  return ({ node, first }) => [attrInt(node, 'dtype', fallback === 'input' ? first : fallback)];
}

/** Output shape of Shape (static inference, src/onnx/shapes.ts). */
function shapeShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const rank = x.length;
  let start = attrInt(node, 'start', 0);
  let end = attrInt(node, 'end', rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  const v = x.slice(Math.max(0, start), Math.min(rank, end));
  c.out([v.length]);
  c.outValue(v);
}

/** Output shape of Size (static inference, src/onnx/shapes.ts). */
function sizeShape(c: ShapeContext): void {
  c.out([]);
  c.outValue([product(c.in(0))]);
}

/** Output shape of ConstantOfShape (static inference, src/onnx/shapes.ts). */
function constantOfShapeShape(c: ShapeContext): void {
  const { node } = c;
  const v = c.value(0);
  if (!v) throw new LumenError('UNSUPPORTED_MODEL', `shape inference: ConstantOfShape '${node.name}' with a shape not known statically`);
  c.out([...v]);
}

/** Output shape of OneHot (static inference, src/onnx/shapes.ts). */
function oneHotShape(c: ShapeContext): void {
  const { node } = c;
  const idx = c.in(0);
  const depth = c.numbers(1)?.[0] ?? '?';
  let axis = attrInt(node, 'axis', -1);
  if (axis < 0) axis += idx.length + 1;
  const out = [...idx];
  out.splice(axis, 0, depth);
  c.out(out);
}

/** Output shape of Range (static inference, src/onnx/shapes.ts). */
function rangeShape(c: ShapeContext): void {
  const [s, l, d] = [c.numbers(0)?.[0], c.numbers(1)?.[0], c.numbers(2)?.[0]];
  c.out([s !== undefined && l !== undefined && d ? Math.max(0, Math.ceil((l - s) / d)) : '?']);
}

/** Output shape and value of Constant (static inference, src/onnx/shapes.ts). */
function constantShape(c: ShapeContext): void {
  const { node } = c;
  const t = attrTensor(node, 'value');
  if (t) {
    c.out(tensorDims(t));
    if (t.dims.reduce((a, d) => a * Number(d), 1) <= MAX_FOLD) {
      try {
        c.outValue(tensorNumbers(t));
      } catch {
        // non-numeric constant
      }
    }
  } else {
    const f = node.attribute.find((a) => a.name === 'value_float' || a.name === 'value_int');
    c.out([]);
    if (f) c.outValue([f.name === 'value_int' ? Number(f.i) : f.f]);
    const fs = node.attribute.find((a) => a.name === 'value_floats' || a.name === 'value_ints');
    if (fs) {
      const v = fs.name === 'value_ints' ? fs.ints.map(Number) : [...fs.floats];
      c.out([v.length]);
      c.outValue(v);
    }
  }
}

/** Output shape of ArgMax / ArgMin (static inference, src/onnx/shapes.ts): the `axis` attribute reduced, keepdims. */
function argShape(c: ShapeContext): void {
  const x = c.in(0);
  const a = attrInt(c.node, 'axis', 0);
  c.out(reducedDims(c.node, x, [a < 0 ? a + x.length : a]));
}
