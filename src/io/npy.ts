/**
 * NumPy .npy files (format 1.0–3.0, little-endian, C order): how users pass exact input tensors and read results
 * back into Python. Operates on bytes only, so it works in Node and in the browser.
 */
import { LumenError } from '../errors.js';
import { Tensor } from '../tensor.js';

export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int64' | 'int32';
export type NpyData = Float32Array | Float64Array | Uint8Array | BigInt64Array | Int32Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const DESCR_TO_DTYPE: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '>u1': 'uint8',
  '<i8': 'int64',
  '<i4': 'int32',
};
const DTYPE_TO_DESCR: Record<NpyDtype, string> = { float32: '<f4', float64: '<f8', uint8: '|u1', int64: '<i8', int32: '<i4' };
const ITEM_SIZE: Record<NpyDtype, number> = { float32: 4, float64: 8, uint8: 1, int64: 8, int32: 4 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** np.save pads the header so the data starts at a multiple of 64 bytes. */
const ALIGN = 64;

function bad(message: string): LumenError {
  return new LumenError('BAD_IMAGE', message);
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length === 0) throw bad('not a .npy file: it is empty');
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('not a .npy file (it does not start with the \\x93NUMPY magic)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`unsupported .npy format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw bad('truncated .npy header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLen > bytes.length) throw bad(`truncated .npy header: it declares ${headerLen} bytes but the file has ${bytes.length - headerStart}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const { descr, fortranOrder, shape } = parseHeader(header);
  if (fortranOrder) {
    throw bad('Fortran-order (column-major) .npy arrays are not supported: save a C-order copy, np.save(path, np.ascontiguousarray(a))');
  }
  const dtype = DESCR_TO_DTYPE[descr];
  if (!dtype) {
    const hint = descr.startsWith('>') ? ' (big-endian: save with a.astype(a.dtype.newbyteorder("<")))' : '';
    throw bad(`unsupported .npy dtype '${descr}'${hint}; supported: float32, float64, uint8, int32, int64 (little-endian)`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLen;
  const need = count * ITEM_SIZE[dtype];
  if (bytes.length - start < need) {
    throw bad(`truncated .npy data: shape (${shape.join(', ')}) ${dtype} needs ${need} bytes but the file has ${bytes.length - start}`);
  }
  // A copy into a fresh buffer: the typed array needs an aligned, exactly sized buffer (and a Node Buffer's
  // slice() is a view into a shared pool, so slice().buffer would not do).
  const copy = new Uint8Array(need);
  copy.set(bytes.subarray(start, start + need));
  const raw = copy.buffer;
  const data: NpyData =
    dtype === 'float32'
      ? new Float32Array(raw)
      : dtype === 'float64'
        ? new Float64Array(raw)
        : dtype === 'uint8'
          ? new Uint8Array(raw)
          : dtype === 'int64'
            ? new BigInt64Array(raw)
            : new Int32Array(raw);
  return { dtype, shape, data };
}

/** The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 64, 64), }. */
function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(`unreadable .npy header (needs descr, fortran_order and shape): ${header.trim().slice(0, 200)}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    // Python 2 wrote longs as "3L".
    .map((s) => (/^\d+L?$/.test(s) ? Number.parseInt(s, 10) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) throw bad(`unreadable .npy shape (${shapeText})`);
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Parse a .npy file into a float32 Tensor (other dtypes are converted; a 0-d array becomes dims []). */
export function npyToTensor(bytes: Uint8Array): Tensor {
  const { shape, data } = parseNpy(bytes);
  let f32: Float32Array;
  if (data instanceof Float32Array) f32 = data;
  else if (data instanceof BigInt64Array) f32 = Float32Array.from(data, (v) => Number(v));
  else f32 = Float32Array.from(data);
  return new Tensor(f32, shape);
}

export type NpyWritable = Float32Array | Float64Array | Uint8Array | Int32Array | BigInt64Array;

function dtypeOf(data: NpyWritable): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

/** Encode as np.save does (format 1.0, or 2.0 for a header over 64 KiB): the bytes equal np.save's for the same array. */
export function encodeNpy(data: NpyWritable, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || count !== data.length) {
    throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) holds ${count} values but the data has ${data.length}`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DTYPE_TO_DESCR[dtypeOf(data)]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Header = dict + spaces + '\n', sized so that the data starts on a 64-byte boundary.
  let prefix = 10;
  if (prefix + dict.length + 1 > 0xffff) prefix = 12;
  const padded = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
  const header = dict + ' '.repeat(padded - dict.length - 1) + '\n';
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (prefix === 10) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  // Typed arrays are in the platform's byte order; every platform Lumen runs on is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), prefix + header.length);
  return out;
}
