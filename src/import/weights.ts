import { LumenError } from '../errors.js';

/** One entry of a TF.js `weightsManifest` group. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number; original_dtype?: string };
}

export interface TfjsWeightGroup {
  paths: string[];
  weights: TfjsWeightSpec[];
}

/** A decoded weight: float32 values (dequantized) or int32 values (shapes, axes). */
export interface TfjsWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  values: Float32Array | Int32Array;
}

/**
 * Decode every weight of a manifest. `groupBytes[i]` is group i's shard files concatenated in `paths` order
 * (TF.js lays a group's weights out back to back across its shards). Quantized weights are dequantized as
 * TF.js does: uint8/uint16 as `min + q·scale`, float16 to float32.
 */
export function decodeWeights(manifest: readonly TfjsWeightGroup[], groupBytes: readonly Uint8Array[], source: string): Map<string, TfjsWeight> {
  const out = new Map<string, TfjsWeight>();
  manifest.forEach((group, g) => {
    const bytes = groupBytes[g];
    if (!bytes) throw new LumenError('CORRUPT_MODEL', `${source}: weight group ${g} (${group.paths.join(', ')}) has no data`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    for (const spec of group.weights) {
      const n = spec.shape.reduce((a, d) => a * d, 1);
      const q = spec.quantization;
      const storage = q?.dtype ?? spec.dtype;
      const width = storage === 'uint8' || storage === 'int8' || storage === 'bool' ? 1 : storage === 'uint16' || storage === 'float16' ? 2 : 4;
      if (spec.dtype === 'string' || spec.dtype === 'complex64') {
        throw new LumenError('UNSUPPORTED_MODEL', `${source}: weight '${spec.name}' has dtype ${spec.dtype}, which Lumen does not import`);
      }
      if (at + n * width > bytes.length) {
        throw new LumenError('CORRUPT_MODEL', `${source}: weight '${spec.name}' runs past the end of its shard files (${bytes.length} bytes; truncated or wrong .bin?)`);
      }
      const read = (i: number): number => {
        const p = at + i * width;
        switch (storage) {
          case 'uint8': case 'bool': return view.getUint8(p);
          case 'int8': return view.getInt8(p);
          case 'uint16': return view.getUint16(p, true);
          case 'float16': return halfToFloat(view.getUint16(p, true));
          case 'int32': return view.getInt32(p, true);
          case 'float32': return view.getFloat32(p, true);
        }
        throw new LumenError('UNSUPPORTED_MODEL', `${source}: weight '${spec.name}' is stored as ${storage}, which Lumen does not import`);
      };
      const isInt = spec.dtype === 'int32' || spec.dtype === 'bool';
      const values = isInt ? new Int32Array(n) : new Float32Array(n);
      const dequant = q && (q.dtype === 'uint8' || q.dtype === 'uint16');
      const min = q?.min ?? 0;
      const scale = q?.scale ?? 1;
      for (let i = 0; i < n; i++) {
        const v = read(i);
        values[i] = dequant ? (isInt ? Math.round(min + v * scale) : min + v * scale) : v;
      }
      out.set(spec.name, { name: spec.name, shape: [...spec.shape], dtype: isInt ? (spec.dtype as 'int32' | 'bool') : 'float32', values });
      at += n * width;
    }
  });
  return out;
}

/** IEEE 754 half → float (TF.js's float16 weight storage). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
