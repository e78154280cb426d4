/** Node-only .npy file helpers (the format itself is in src/io/npy.ts and works on bytes). */
import { LumenError } from '../errors.js';
import { encodeNpy, npyToTensor, parseNpy, type NpyArray, type NpyWritable } from '../io/npy.js';
import type { Tensor } from '../tensor.js';
import { readInputBytes, writeFileAtomic } from './image-file.js';

/** Read a .npy file as stored (dtype kept). Errors name the file. */
export function readNpyFile(path: string): Promise<NpyArray> {
  return readParsed(path, parseNpy);
}

/** Read a .npy file as a float32 Tensor. */
export function readNpyTensor(path: string): Promise<Tensor> {
  return readParsed(path, npyToTensor);
}

async function readParsed<T>(path: string, parse: (bytes: Uint8Array) => T): Promise<T> {
  const bytes = await readInputBytes(path, 'npy');
  try {
    return parse(bytes);
  } catch (e) {
    throw prefixed(e, path);
  }
}

/** Write an array as .npy (np.save's bytes), atomically. */
export function writeNpyFile(path: string, data: NpyWritable, shape: readonly number[]): void {
  writeFileAtomic(path, encodeNpy(data, shape));
}

function prefixed(e: unknown, path: string): unknown {
  return e instanceof LumenError ? new LumenError(e.code, `${path}: ${e.message}`, e.exitCode) : e;
}
