import { create } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataType, type TensorProto } from './proto.js';

export type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

const BYTES_PER: Partial<Record<number, number>> = {
  [TensorProto_DataType.FLOAT]: 4,
  [TensorProto_DataType.DOUBLE]: 8,
  [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.INT64]: 8,
  [TensorProto_DataType.UINT8]: 1,
  [TensorProto_DataType.INT8]: 1,
  [TensorProto_DataType.BOOL]: 1,
};

export function tensorDims(t: TensorProto): number[] {
  return t.dims.map(Number);
}

/**
 * The values of an initializer / Constant tensor as a typed array. `raw_data` is viewed without copying
 * when its offset is aligned (little-endian hosts); the typed repeated fields are converted.
 */
export function tensorValues(t: TensorProto): NumericArray {
  const type = t.dataType;
  const n = t.dims.reduce((a, d) => a * Number(d), 1);
  if (t.rawData.length > 0) {
    const raw = t.rawData;
    const width = BYTES_PER[type];
    if (width === undefined) throw new Error(`tensor '${t.name}': unsupported data type ${TensorProto_DataType[type] ?? type}`);
    const aligned = raw.byteOffset % width === 0;
    // copy unaligned data (Uint8Array's slice: a Node Buffer's own slice() is a view of the same pool, not a copy)
    const buf = aligned ? raw.buffer : Uint8Array.prototype.slice.call(raw).buffer;
    const off = aligned ? raw.byteOffset : 0;
    const count = raw.length / width;
    switch (type) {
      case TensorProto_DataType.FLOAT: return new Float32Array(buf, off, count);
      case TensorProto_DataType.DOUBLE: return new Float64Array(buf, off, count);
      case TensorProto_DataType.INT32: return new Int32Array(buf, off, count);
      case TensorProto_DataType.INT64: return new BigInt64Array(buf, off, count);
      case TensorProto_DataType.UINT8:
      case TensorProto_DataType.BOOL: return new Uint8Array(buf, off, count);
      case TensorProto_DataType.INT8: return new Int8Array(buf, off, count);
    }
  }
  switch (type) {
    case TensorProto_DataType.FLOAT: return Float32Array.from(t.floatData.length ? t.floatData : new Array<number>(n).fill(0));
    case TensorProto_DataType.DOUBLE: return Float64Array.from(t.doubleData);
    case TensorProto_DataType.INT64: return BigInt64Array.from(t.int64Data);
    case TensorProto_DataType.INT32: return Int32Array.from(t.int32Data);
    case TensorProto_DataType.UINT8:
    case TensorProto_DataType.BOOL: return Uint8Array.from(t.int32Data);
    case TensorProto_DataType.INT8: return Int8Array.from(t.int32Data);
  }
  throw new Error(`tensor '${t.name}': unsupported data type ${TensorProto_DataType[type] ?? type}`);
}

/** Values as float64 numbers (for shapes, axes, scalars and weights read on the JS side). */
export function tensorNumbers(t: TensorProto): number[] {
  const v = tensorValues(t);
  return v instanceof BigInt64Array ? Array.from(v, Number) : Array.from(v as ArrayLike<number>);
}

/** Build a TensorProto holding `values` in raw_data (the compact form ORT reads fastest). */
export function makeTensorProto(name: string, values: NumericArray | number[], dims: readonly number[], type?: TensorProto_DataType): TensorProto {
  let arr: NumericArray;
  if (Array.isArray(values)) {
    arr = type === TensorProto_DataType.INT64 ? BigInt64Array.from(values.map((v) => BigInt(v))) : Float32Array.from(values);
  } else {
    arr = values;
  }
  const dataType = type ?? dataTypeOf(arr);
  const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice();
  return create(TensorProtoSchema, { name, dims: dims.map((d) => BigInt(d)), dataType, rawData: bytes });
}

function dataTypeOf(arr: NumericArray): TensorProto_DataType {
  if (arr instanceof Float32Array) return TensorProto_DataType.FLOAT;
  if (arr instanceof Float64Array) return TensorProto_DataType.DOUBLE;
  if (arr instanceof Int32Array) return TensorProto_DataType.INT32;
  if (arr instanceof BigInt64Array) return TensorProto_DataType.INT64;
  if (arr instanceof Int8Array) return TensorProto_DataType.INT8;
  return TensorProto_DataType.UINT8;
}
