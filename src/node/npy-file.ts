/** Node-only .npy file helpers (the format itself is in src/io/npy.ts and works on bytes). */
import { readFile, stat } from 'node:fs/promises';
import { LumenError } from '../errors.js';
import { encodeNpy, npyToTensor, parseNpy, type NpyArray, type NpyWritable } from '../io/npy.js';
import type { Tensor } from '../tensor.js';
import { writeFileAtomic } from './image-file.js';

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new LumenError('BAD_IMAGE', `${path} is a folder, not a .npy file`);
    if (!info.isFile()) throw new LumenError('BAD_IMAGE', `${path} is not a regular file (a device or a pipe), not a .npy file`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof LumenError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LumenError('FILE_NOT_FOUND', `.npy file not found: ${path}`);
    throw new LumenError('BAD_IMAGE', `${path}: cannot read the file (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Read a .npy file as stored (dtype kept). Errors name the file. */
export function readNpyFile(path: string): Promise<NpyArray> {
  return readParsed(path, parseNpy);
}

/** Read a .npy file as a float32 Tensor. */
export function readNpyTensor(path: string): Promise<Tensor> {
  return readParsed(path, npyToTensor);
}

async function readParsed<T>(path: string, parse: (bytes: Uint8Array) => T): Promise<T> {
  const bytes = await readBytes(path);
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
