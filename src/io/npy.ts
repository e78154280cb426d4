import { Tensor } from '../tensor.js';

/** NumPy .npy (format 1.0–3.0, little-endian, C order): what users pass as exact tensors and read results with. */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int64' | 'int32';
export type NpyData = Float32Array | Float64Array | Uint8Array | BigInt64Array | Int32Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

const DESCR: Record<string, NpyDtype> = { '<f4': 'float32', '<f8': 'float64', '|u1': 'uint8', '<u1': 'uint8', '<i8': 'int64', '<i4': 'int32' };
const WIDTH: Record<NpyDtype, number> = { float32: 4, float64: 8, uint8: 1, int64: 8, int32: 4 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not a .npy file (missing \\x93NUMPY magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length) throw new Error('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error('Fortran-order .npy arrays are not supported: save with np.ascontiguousarray(a)');
  const dtype = DESCR[descr];
  if (!dtype) throw new Error(`unsupported .npy dtype '${descr}' (supported: float32, float64, uint8, int32, int64, little-endian)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLen;
  const need = count * WIDTH[dtype];
  if (bytes.length - start < need) throw new Error(`truncated .npy data: ${bytes.length - start} bytes for ${need}`);
  const raw = bytes.slice(start, start + need).buffer;
  const data: NpyData =
    dtype === 'float32' ? new Float32Array(raw) :
    dtype === 'float64' ? new Float64Array(raw) :
    dtype === 'uint8' ? new Uint8Array(raw) :
    dtype === 'int64' ? new BigInt64Array(raw) : new Int32Array(raw);
  return { dtype, shape, data };
}

/** Parse a .npy file into a float32 Tensor (other dtypes are converted). */
export function npyToTensor(bytes: Uint8Array): Tensor {
  const { shape, data } = parseNpy(bytes);
  const f32 = data instanceof Float32Array ? data : data instanceof BigInt64Array ? Float32Array.from(data, Number) : Float32Array.from(data);
  return new Tensor(f32, shape);
}

export function encodeNpy(data: Float32Array | Float64Array | Uint8Array, shape: readonly number[]): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Float64Array ? '<f8' : '|u1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad so that data starts on a 64-byte boundary, header ends with '\n' (format 1.0).
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
