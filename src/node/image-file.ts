import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import sharp, { type Metadata } from 'sharp';
import { LumenError } from '../errors.js';
import type { RawImage } from '../image/types.js';

/** Decode PNG / JPEG / WebP bytes with sharp: grayscale stays 1 channel, alpha is dropped. */
export async function decodeImageBytes(bytes: Uint8Array, source = 'image'): Promise<RawImage> {
  if (bytes.length === 0) throw new LumenError('BAD_IMAGE', `${source}: the file is empty`);
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (e) {
    throw new LumenError('BAD_IMAGE', `${source}: not a readable image (${describe(e)}); supported: PNG, JPEG, WebP`);
  }
  const gray = meta.channels !== undefined && meta.channels <= 2 && (meta.space === 'b-w' || meta.space === 'grey16' || meta.channels === 1 || meta.channels === 2);
  try {
    const pipeline = sharp(bytes).removeAlpha();
    const { data, info } = await (gray ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
    const channels = info.channels as 1 | 3;
    return { width: info.width, height: info.height, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new LumenError('BAD_IMAGE', `${source}: the ${meta.format ?? 'image'} file is truncated or corrupt (${describe(e)})`);
  }
}

export async function readImageFile(path: string): Promise<RawImage> {
  if (!existsSync(path)) throw new LumenError('FILE_NOT_FOUND', `image not found: ${path}`);
  if (statSync(path).isDirectory()) throw new LumenError('BAD_IMAGE', `${path} is a folder, not an image`);
  return decodeImageBytes(new Uint8Array(readFileSync(path)), path);
}

export async function encodePng(img: RawImage): Promise<Uint8Array> {
  const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Write a file atomically (temp file + rename), so an interrupted run never leaves a half-written output. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export async function writePng(path: string, img: RawImage): Promise<void> {
  writeFileAtomic(path, await encodePng(img));
}

function describe(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^Input buffer /, '').split('\n')[0]!;
}
