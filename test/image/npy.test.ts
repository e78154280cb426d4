import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeNpy, npyToTensor, parseNpy, type NpyWritable } from '../../src/io/npy.js';
import { readNpyFile, readNpyTensor, writeNpyFile } from '../../src/node/npy-file.js';

const INPUTS = new URL('../../conformance/inputs/', import.meta.url);
const f32 = Math.fround;
const dir = mkdtempSync(join(tmpdir(), 'lumen-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A .npy file written by hand: magic, version, header length (2 or 4 bytes), header text, data. */
function handMade(header: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const text = new TextEncoder().encode(header);
  const out = new Uint8Array(prefix + text.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(text, prefix);
  out.set(data, prefix + text.length);
  return out;
}

const floats = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

test('parses the reference inputs, and encodeNpy writes back the same bytes as np.save', () => {
  const bytes = readFileSync(new URL('chelsea64.npy', INPUTS));
  const arr = parseNpy(bytes);
  assert.equal(arr.dtype, 'float32');
  assert.deepEqual(arr.shape, [1, 3, 64, 64]);
  assert.equal(arr.data.length, 12288);
  // The first pixel of chelsea64.png is (127, 72, 60): red at index 0, green at 4096, blue at 8192.
  assert.equal(arr.data[0], f32(f32(f32(127 / 255) - f32(0.485)) / f32(0.229)));
  assert.equal(arr.data[4096], f32(f32(f32(72 / 255) - f32(0.456)) / f32(0.224)));
  assert.deepEqual(encodeNpy(arr.data as Float32Array, arr.shape), new Uint8Array(bytes));

  const fm = readFileSync(new URL('fmnist_test0000.npy', INPUTS));
  const t = npyToTensor(fm);
  assert.deepEqual(t.dims, [1, 1, 28, 28]);
  // Fashion-MNIST background pixel 0: (0 − 0.286) / 0.353.
  assert.equal(t.data[0], f32(f32(-f32(0.286)) / f32(0.353)));
  assert.deepEqual(encodeNpy(t.data, t.dims), new Uint8Array(fm));
});

test('round trip for every dtype', () => {
  const cases: [NpyWritable, number[], string][] = [
    [Float32Array.from([1.5, -2, 3.25, 1e-8, -0, Infinity]), [2, 3], 'float32'],
    [Float64Array.from([Math.PI, -1e300, 5e-324]), [3], 'float64'],
    [Uint8Array.from([0, 1, 254, 255]), [2, 2, 1], 'uint8'],
    [Int32Array.from([-2147483648, 0, 2147483647, -5]), [4], 'int32'],
    [BigInt64Array.from([-(2n ** 62n), 0n, 123456789012345n]), [1, 3], 'int64'],
  ];
  for (const [data, shape, dtype] of cases) {
    const bytes = encodeNpy(data, shape);
    // np.save alignment: the data starts on a multiple of 64.
    assert.equal((bytes.length - data.byteLength) % 64, 0, dtype);
    const back = parseNpy(bytes);
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, shape);
    assert.deepEqual([...back.data], [...data]);
  }
  // 0-d (scalar) and empty arrays.
  const scalar = parseNpy(encodeNpy(Float64Array.from([2.5]), []));
  assert.deepEqual([scalar.shape, [...scalar.data]], [[], [2.5]]);
  const empty = parseNpy(encodeNpy(new Float32Array(0), [0, 3]));
  assert.deepEqual([empty.shape, empty.data.length], [[0, 3], 0]);
});

test('header text is exactly what np.save writes', () => {
  const bytes = encodeNpy(Float64Array.from([1, 2, 3]), [3]);
  // 10-byte prefix + 118-byte header: the data starts at 128, as in np.save's file for np.array([1., 2., 3.]).
  assert.equal(bytes.length, 128 + 24);
  assert.equal(new DataView(bytes.buffer).getUint16(8, true), 118);
  const header = new TextDecoder('latin1').decode(bytes.subarray(10, 128));
  assert.equal(header, `{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`.padEnd(117, ' ') + '\n');
  assert.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
});

test('header edge cases: versions 2 and 3, key order, Python 2 longs, uint8 descr variants', () => {
  const data = floats([1, 2, 3, 4]);
  const v2 = parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n`, data, 2));
  assert.deepEqual([v2.shape, [...v2.data]], [[2, 2], [1, 2, 3, 4]]);
  const v3 = parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'note': 'é' }\n`, data, 3));
  assert.deepEqual(v3.shape, [4]);
  const reordered = parseNpy(handMade(`{'shape': (1,4),'fortran_order':False,'descr':'<f4'}\n`, data));
  assert.deepEqual(reordered.shape, [1, 4]);
  const longs = parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 2L), }\n`, data));
  assert.deepEqual(longs.shape, [2, 2]);
  const u1 = parseNpy(handMade(`{'descr': '<u1', 'fortran_order': False, 'shape': (3,), }\n`, Uint8Array.from([9, 8, 7])));
  assert.deepEqual([u1.dtype, ...u1.data], ['uint8', 9, 8, 7]);
  // Extra bytes after the data are ignored, as np.load does.
  const extra = parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n`, floats([7, 8])));
  assert.deepEqual([...extra.data], [7]);
  // int64 becomes float32 in a tensor.
  const i8 = npyToTensor(encodeNpy(BigInt64Array.from([3n, -4n]), [2]));
  assert.deepEqual([...i8.data], [3, -4]);
});

test('errors: Fortran order, big-endian, unknown dtype, truncation, not a .npy', () => {
  const data = floats([1, 2, 3, 4]);
  assert.throws(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n`, data)), {
    code: 'BAD_IMAGE',
    message: /Fortran-order.*np\.ascontiguousarray/,
  });
  assert.throws(() => parseNpy(handMade(`{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }\n`, data)), /unsupported \.npy dtype '>f4' \(big-endian/);
  assert.throws(() => parseNpy(handMade(`{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n`, data)), /unsupported \.npy dtype '<c8'/);
  assert.throws(() => parseNpy(handMade(`{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }\n`, data)), /needs 20 bytes but the file has 16/);
  assert.throws(() => parseNpy(handMade(`{'descr': '<f4', 'shape': (4,), }\n`, data)), /unreadable \.npy header/);
  assert.throws(() => parseNpy(new TextEncoder().encode('hello, not numpy')), /does not start with the \\x93NUMPY magic/);
  assert.throws(() => parseNpy(new Uint8Array(0)), /empty/);
  const cut = encodeNpy(Float32Array.from([1]), [1]).subarray(0, 40);
  assert.throws(() => parseNpy(cut), /truncated \.npy header/);
  assert.throws(() => encodeNpy(Float32Array.from([1, 2]), [3]), /holds 3 values but the data has 2/);
});

test('readNpyFile / writeNpyFile: round trip, atomic write, missing file', async () => {
  const path = join(dir, 'attr.npy');
  writeNpyFile(path, Float32Array.from([0.5, -1]), [1, 2]);
  const arr = await readNpyFile(path);
  assert.deepEqual([arr.dtype, arr.shape, [...arr.data]], ['float32', [1, 2], [0.5, -1]]);
  // Overwrite in place; no temporary file is left next to it.
  writeNpyFile(path, Uint8Array.from([1, 2, 3]), [3]);
  assert.deepEqual([...(await readNpyTensor(path)).data], [1, 2, 3]);
  assert.deepEqual(readdirSync(dir), ['attr.npy']);
  await assert.rejects(readNpyFile(join(dir, 'missing.npy')), { code: 'FILE_NOT_FOUND', message: /missing\.npy/ });
});
