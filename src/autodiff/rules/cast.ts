import { attrInt } from '../../onnx/attributes.js';
import { castValues, type ShapeContext } from '../../onnx/shapes.js';
import { TensorProto_DataType } from '../../onnx/proto.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

const FLOAT_TYPES = new Set<number>([TensorProto_DataType.FLOAT, TensorProto_DataType.DOUBLE, TensorProto_DataType.FLOAT16, TensorProto_DataType.BFLOAT16]);

// Only float→float casts are differentiated (a cast to an integer type carries no gradient).
registerOp('Cast', { kind: 'data', doubleKernel: true, float64: 'cast-target', layout: 'keeps', shape: castShape, inferTypes: ({ node }) => [attrInt(node, 'to', 0)], differentiable: (node) => FLOAT_TYPES.has(attrInt(node, 'to', 0)), lrp: 'plain', deeplift: 'plain' }, unary(({ ops }, _x, _y, gy) => ops.toFloat(gy)));

/**
 * Output shape of Cast (static inference, src/onnx/shapes.ts): input 0's; its known values are converted as ONNX
 * converts them (truncated to integer types, ≠ 0 for bool), whatever their size — the op's value folding.
 */
function castShape(c: ShapeContext): void {
  c.out([...c.in(0)]);
  const v = c.value(0);
  if (v) c.outValue(castValues(v, attrInt(c.node, 'to', 0)));
}
