/** Node-only image decoding and encoding (sharp), with errors that tell the user what is wrong with the file. */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mimeType } from './paths.js';
import sharp, { type Metadata } from 'sharp';
import { LumenError } from '../errors.js';
import { sniffFileType, SUPPORTED_IMAGE_FORMATS } from '../image/sniff.js';
import type { RawImage } from '../image/types.js';

export interface DecodeOptions {
  /** Keep an alpha channel as a 4th channel (RGBA; gray+alpha becomes RGBA too). Default false: alpha is dropped. */
  keepAlpha?: boolean;
}

/**
 * Decode PNG / JPEG / WebP (and GIF, TIFF, AVIF) bytes: grayscale files stay 1 channel, colour files become RGB,
 * 16-bit files are reduced to 8 bits. `source` names the file in error messages. Pixel values are returned as stored:
 * no ICC colour management and no EXIF rotation, as PIL's Image.open (what the model was most likely trained with).
 */
export async function decodeImageBytes(bytes: Uint8Array, source = 'image', options: DecodeOptions = {}): Promise<RawImage> {
  if (bytes.length === 0) throw new LumenError('BAD_IMAGE', `${source}: the file is empty (0 bytes), not an image`);
  const kind = sniffFileType(bytes);
  if (!kind.image) {
    throw new LumenError('BAD_IMAGE', `${source}: not an image, the content looks like: ${kind.label}; expected ${SUPPORTED_IMAGE_FORMATS}`);
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'truncated' }).metadata();
  } catch (e) {
    throw decodeError(source, kind.label, e);
  }
  // Gray (1 channel) or gray + alpha (2 channels), 8 or 16 bits.
  const gray = meta.channels === 1 || meta.channels === 2 || meta.space === 'b-w' || meta.space === 'grey16';
  const keepAlpha = options.keepAlpha === true && meta.hasAlpha === true;
  try {
    // failOn 'truncated': missing data is an error (not a half-grey image), benign warnings such as extraneous
    // bytes in a JPEG are not (PIL opens those too).
    // ignoreIcc: the stored values, not colour-managed ones, as PIL and the browser decoder (colorSpaceConversion
    // 'none') give; a model trained from PIL images saw those.
    let pipeline = sharp(bytes, { failOn: 'truncated', ignoreIcc: true });
    if (!keepAlpha) pipeline = pipeline.removeAlpha();
    pipeline = gray && !keepAlpha ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 1 && info.channels !== 3 && info.channels !== 4) {
      throw new Error(`decoder returned ${info.channels} channels`);
    }
    return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw decodeError(source, kind.label, e);
  }
}

function decodeError(source: string, label: string, e: unknown): LumenError {
  const reason = decoderReason(e);
  if (/pixel limit/i.test(reason)) {
    return new LumenError('BAD_IMAGE', `${source}: the ${label} is too large to decode (${reason}); downscale it first`);
  }
  return new LumenError('BAD_IMAGE', `${source}: the ${label} is truncated or corrupt (${reason})`);
}

/** How `readInputBytes` names each kind of input file. */
const INPUT_KINDS = {
  image: { file: 'an image file', missing: 'image not found', the: 'the image' },
  npy: { file: 'a .npy file', missing: '.npy file not found', the: 'the .npy file' },
} as const;

/**
 * The bytes of an input file (an image, a .npy tensor), every way it cannot be read a named FILE_NOT_FOUND /
 * BAD_IMAGE error: missing, a folder, a device or a pipe (read forever), no permission.
 */
export async function readInputBytes(path: string, kind: keyof typeof INPUT_KINDS): Promise<Uint8Array> {
  const words = INPUT_KINDS[kind];
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new LumenError('BAD_IMAGE', `${path} is a folder, not ${words.file}`);
    if (!info.isFile()) throw new LumenError('BAD_IMAGE', `${path} is not a regular file (a device or a pipe), not ${words.file}`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof LumenError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LumenError('FILE_NOT_FOUND', `${words.missing}: ${path}`);
    if (code === 'EACCES' || code === 'EPERM') throw new LumenError('BAD_IMAGE', `${path}: permission denied, cannot read ${words.the}`);
    throw new LumenError('BAD_IMAGE', `${path}: cannot read the file (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Read and decode an image file; FILE_NOT_FOUND / BAD_IMAGE errors say what is wrong. */
export async function readImageFile(path: string, options: DecodeOptions = {}): Promise<RawImage> {
  return decodeImageBytes(await readInputBytes(path, 'image'), path, options);
}

/** Bytes as a data: URI: the pictures the HTML reports hold inline. */
export function dataUri(bytes: Uint8Array, mime = 'image/png'): string {
  return `data:${mime};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

/** The first of `candidates` that is an image file, as a data: URI; undefined when none is (a report still names it). */
export function imageFileDataUri(...candidates: string[]): string | undefined {
  for (const p of candidates) {
    const mime = mimeType(p);
    if (mime.startsWith('image/') && statSync(p, { throwIfNoEntry: false })?.isFile()) return dataUri(readFileSync(p), mime);
  }
  return undefined;
}

/** Lossless PNG bytes of an image (1, 3 or 4 channels). */
export async function encodePng(img: RawImage): Promise<Uint8Array> {
  const need = img.width * img.height * img.channels;
  if (img.data.length !== need) {
    throw new RangeError(`encodePng: ${img.data.length} bytes for a ${img.width}×${img.height}×${img.channels} image (needs ${need})`);
  }
  const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .toColourspace(img.channels === 1 ? 'b-w' : 'srgb')
    .png()
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/**
 * Write a file atomically: a temporary file next to it, then a rename, so that an interrupted run never leaves a
 * half-written output (and a reader never sees one).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  // A device or a pipe given as the output (-o /dev/null) is written into, never replaced by a renamed file (as root
  // the rename replaced /dev/null itself with a regular file).
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    writeFileSync(path, bytes);
    return;
  }
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function writePng(path: string, img: RawImage): Promise<void> {
  writeFileAtomic(path, await encodePng(img));
}

/** The decoder's own words, without sharp's "Input buffer" prefix or libvips' multi-line detail. */
function decoderReason(e: unknown): string {
  const text = (e instanceof Error ? e.message : String(e)).replace(/^Input (buffer|file) /i, '').trim();
  const lines = text
    .split('\n')
    .map((l) => l.trim().replace(/^has /, '').replace(/:$/, ''))
    .filter(Boolean);
  return lines.slice(0, 2).join('; ') || 'unknown decoder error';
}
