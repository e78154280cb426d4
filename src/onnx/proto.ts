/** The ONNX protobuf schema (onnx-buf, generated for @bufbuild/protobuf: typed, int64 as bigint). */
export {
  ModelProtoSchema,
  GraphProtoSchema,
  NodeProtoSchema,
  TensorProtoSchema,
  ValueInfoProtoSchema,
  AttributeProtoSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  AttributeProto_AttributeType,
  TensorProto_DataType,
  TensorProto_DataLocation,
} from 'onnx-buf';
export type {
  ModelProto,
  GraphProto,
  NodeProto,
  TensorProto,
  ValueInfoProto,
  AttributeProto,
  TypeProto,
  OperatorSetIdProto,
} from 'onnx-buf';
