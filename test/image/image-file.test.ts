import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { LumenError } from '../../src/errors.js';
import { sniffFileType } from '../../src/image/sniff.js';
import type { RawImage } from '../../src/image/types.js';
import { decodeImageBytes, encodePng, readImageFile, writePng } from '../../src/node/image-file.js';

const INPUTS = new URL('../../conformance/inputs/', import.meta.url);
const CHELSEA = new URL('chelsea64.png', INPUTS).pathname;
const FMNIST = new URL('fmnist_test0000.png', INPUTS).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lumen-img-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** Assert a LumenError with this code whose message matches every pattern. */
function lumenError(code: string, ...patterns: RegExp[]): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof LumenError, `not a LumenError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  };
}

test('decodes RGB and grayscale PNGs with their pixel values', async () => {
  const rgb = await readImageFile(CHELSEA);
  assert.deepEqual([rgb.width, rgb.height, rgb.channels, rgb.data.length], [64, 64, 3, 12288]);
  // First pixel, as in chelsea64.npy ((127/255 − 0.485)/0.229 …).
  assert.deepEqual([...rgb.data.subarray(0, 3)], [127, 72, 60]);
  const gray = await readImageFile(FMNIST);
  assert.deepEqual([gray.width, gray.height, gray.channels], [28, 28, 1]);
  // Fashion-MNIST: black corner, and the image is not blank.
  assert.equal(gray.data[0], 0);
  assert.ok(Math.max(...gray.data) > 200);
});

test('JPEG, WebP, 16-bit and palette PNGs decode to 8-bit gray or RGB', async () => {
  const png = readFileSync(CHELSEA);
  const reference = await readImageFile(CHELSEA);
  const lossless = [await sharp(png).webp({ lossless: true }).toBuffer(), await sharp(png).toColourspace('rgb16').png().toBuffer()];
  for (const bytes of lossless) assert.deepEqual((await decodeImageBytes(bytes)).data, reference.data);
  const jpeg = await decodeImageBytes(await sharp(png).jpeg({ quality: 95 }).toBuffer());
  assert.deepEqual([jpeg.width, jpeg.height, jpeg.channels], [64, 64, 3]);
  let err = 0;
  for (let i = 0; i < jpeg.data.length; i++) err += Math.abs(jpeg.data[i]! - reference.data[i]!);
  assert.ok(err / jpeg.data.length < 6, `JPEG mean abs error ${err / jpeg.data.length}`);
  const grayJpeg = await decodeImageBytes(await sharp(readFileSync(FMNIST)).toColourspace('b-w').jpeg().toBuffer());
  assert.equal(grayJpeg.channels, 1);
  const gray16 = await decodeImageBytes(await sharp(readFileSync(FMNIST)).toColourspace('grey16').png().toBuffer());
  assert.deepEqual(gray16.data, (await readImageFile(FMNIST)).data);
});

test('alpha is dropped unless asked for', async () => {
  const rgba: RawImage = { width: 2, height: 1, channels: 4, data: Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 255]) };
  const bytes = await encodePng(rgba);
  assert.deepEqual([...(await decodeImageBytes(bytes)).data], [10, 20, 30, 50, 60, 70]);
  const kept = await decodeImageBytes(bytes, 'rgba.png', { keepAlpha: true });
  assert.deepEqual([kept.channels, ...kept.data], [4, 10, 20, 30, 40, 50, 60, 70, 255]);
});

test('encodePng / writePng round trip gray and RGB exactly, atomically', async () => {
  const gray: RawImage = { width: 3, height: 2, channels: 1, data: Uint8Array.from([0, 1, 2, 127, 254, 255]) };
  const rgb: RawImage = { width: 1, height: 2, channels: 3, data: Uint8Array.from([255, 0, 0, 1, 2, 3]) };
  for (const [name, img] of [['gray.png', gray], ['rgb.png', rgb]] as const) {
    const path = join(dir, 'out', name);
    mkdirSync(join(dir, 'out'), { recursive: true });
    await writePng(path, img);
    const back = await readImageFile(path);
    assert.deepEqual([back.width, back.height, back.channels, ...back.data], [img.width, img.height, img.channels, ...img.data]);
  }
  assert.deepEqual(readdirSync(join(dir, 'out')).sort(), ['gray.png', 'rgb.png']);
});

test('missing file → FILE_NOT_FOUND naming the path', async () => {
  await assert.rejects(readImageFile(join(dir, 'nope.png')), lumenError('FILE_NOT_FOUND', /not found/, /nope\.png/));
});

test('a text file renamed .png → BAD_IMAGE saying it is text', async () => {
  const path = file('notes.png', 'class,score\ncat,0.9\n');
  await assert.rejects(readImageFile(path), lumenError('BAD_IMAGE', /notes\.png/, /not an image/, /text file/, /PNG, JPEG or WebP/));
});

test('other non-images are named: .npy, HTML page, PDF, unknown bytes', async () => {
  const npy = file('x.png', readFileSync(new URL('chelsea64.npy', INPUTS)));
  await assert.rejects(readImageFile(npy), lumenError('BAD_IMAGE', /NumPy \.npy array/));
  const html = file('x.jpg', '<!DOCTYPE html><html><body>404</body></html>');
  await assert.rejects(readImageFile(html), lumenError('BAD_IMAGE', /HTML page/));
  await assert.rejects(decodeImageBytes(new TextEncoder().encode('%PDF-1.7\n'), 'doc'), lumenError('BAD_IMAGE', /PDF document/));
  await assert.rejects(decodeImageBytes(Uint8Array.from([0, 1, 2, 3, 250, 251, 252, 0, 7]), 'blob'), lumenError('BAD_IMAGE', /unknown format/));
});

test('a truncated PNG → BAD_IMAGE with the decoder reason', async () => {
  const png = readFileSync(CHELSEA);
  const half = file('half.png', png.subarray(0, Math.floor(png.length / 2)));
  await assert.rejects(readImageFile(half), lumenError('BAD_IMAGE', /half\.png/, /PNG image is truncated or corrupt \(\S.+\)/));
  // Cut inside the header chunk: still a PNG by its signature, unreadable header.
  const head = file('head.png', png.subarray(0, 20));
  await assert.rejects(readImageFile(head), lumenError('BAD_IMAGE', /PNG image is truncated or corrupt \(\S.+\)/));
});

test('a truncated JPEG → BAD_IMAGE with the decoder reason', async () => {
  const jpeg = await sharp(readFileSync(CHELSEA)).jpeg().toBuffer();
  await assert.rejects(decodeImageBytes(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'cut.jpg'), lumenError('BAD_IMAGE', /cut\.jpg/, /JPEG image is truncated or corrupt \(\S.+\)/));
});

test('an empty file and a folder → BAD_IMAGE', async () => {
  await assert.rejects(readImageFile(file('empty.png', '')), lumenError('BAD_IMAGE', /empty/, /0 bytes/));
  mkdirSync(join(dir, 'folder.png'));
  await assert.rejects(readImageFile(join(dir, 'folder.png')), lumenError('BAD_IMAGE', /folder/));
});

test('sniffFileType recognises image signatures', () => {
  const cases: [number[] | string, string | undefined][] = [
    [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0], 'png'],
    [[0xff, 0xd8, 0xff, 0xe0], 'jpeg'],
    ['RIFF\0\0\0\0WEBPVP8 ', 'webp'],
    ['GIF89a', 'gif'],
    [[0x49, 0x49, 0x2a, 0x00], 'tiff'],
    ['\0\0\0\x1cftypavif', 'avif'],
    ['RIFF\0\0\0\0WAVEfmt ', undefined],
  ];
  for (const [head, format] of cases) {
    const bytes = typeof head === 'string' ? Uint8Array.from(head, (c) => c.charCodeAt(0)) : Uint8Array.from(head);
    assert.equal(sniffFileType(bytes).image, format, JSON.stringify(head));
  }
  assert.equal(sniffFileType(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>')).label, 'SVG drawing (not supported: export it as PNG)');
  assert.equal(sniffFileType(Uint8Array.from([0x42, 0x4d, ...new Array<number>(30).fill(0)])).label, 'BMP image (not supported)');
});

test('a PNG whose header claims 20000×20000 pixels → BAD_IMAGE "too large", not a crash', async () => {
  const { crc32 } = await import('node:zlib');
  const ihdr = new Uint8Array(17);
  ihdr.set([0x49, 0x48, 0x44, 0x52]); // "IHDR"
  const view = new DataView(ihdr.buffer);
  view.setUint32(4, 20000);
  view.setUint32(8, 20000);
  ihdr.set([8, 2, 0, 0, 0], 12); // 8-bit RGB
  // Signature, IHDR, then empty IDAT and IEND chunks (length 0, type, CRC of the type).
  const png = new Uint8Array(8 + 4 + 17 + 4 + 12 + 12);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  new DataView(png.buffer).setUint32(8, 13);
  png.set(ihdr, 12);
  new DataView(png.buffer).setUint32(29, crc32(ihdr));
  for (const [at, type] of [[33, 'IDAT'], [45, 'IEND']] as const) {
    const name = Uint8Array.from(type, (ch) => ch.charCodeAt(0));
    png.set(name, at + 4);
    new DataView(png.buffer).setUint32(at + 8, crc32(name));
  }
  await assert.rejects(decodeImageBytes(png, 'huge.png'), lumenError('BAD_IMAGE', /huge\.png/, /too large/));
});

test('a JPEG with stray bytes before its end marker still decodes (a warning, not truncation)', async () => {
  const jpeg = await sharp(readFileSync(CHELSEA)).jpeg().toBuffer();
  const clean = await decodeImageBytes(jpeg);
  const stray = Buffer.concat([jpeg.subarray(0, jpeg.length - 2), Buffer.from([1, 2, 3, 4]), jpeg.subarray(jpeg.length - 2)]);
  assert.deepEqual((await decodeImageBytes(stray)).data, clean.data);
});
