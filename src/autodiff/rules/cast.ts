import { attrInt } from '../../onnx/attributes.js';
import { foldCast } from '../../onnx/shapes.js';
import { TensorProto_DataType } from '../../onnx/proto.js';
import { registerOp } from '../registry.js';
import { unary } from './util.js';

const FLOAT_TYPES = new Set<number>([TensorProto_DataType.FLOAT, TensorProto_DataType.DOUBLE, TensorProto_DataType.FLOAT16, TensorProto_DataType.BFLOAT16]);

// Only float→float casts are differentiated (a cast to an integer type carries no gradient).
registerOp('Cast', { kind: 'data', doubleKernel: true, float64: 'cast-target', fold: foldCast, layout: 'keeps', shape: 'elementwise', inferTypes: ({ node }) => [attrInt(node, 'to', 0)], differentiable: (node) => FLOAT_TYPES.has(attrInt(node, 'to', 0)), lrp: 'plain', deeplift: 'plain' }, unary(({ ops }, _x, _y, gy) => ops.toFloat(gy)));
