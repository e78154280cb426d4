// TEMPORARY stand-ins until src/image and src/io land (deleted then).
import { Tensor, imageDataFromElement, NORMALIZATION_PRESETS, type LumenModel } from '../../src/browser.js';

export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}
export interface PreparedImage {
  tensor: Tensor;
  image: RawImage;
}
export async function decodeImageBlob(blob: Blob): Promise<RawImage> {
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const d = imageDataFromElement(bmp);
  return { width: d.width, height: d.height, channels: 4, data: new Uint8Array(d.data.buffer) };
}
export function prepareImage(raw: RawImage, model: LumenModel): PreparedImage {
  const norm = model.normalization ?? NORMALIZATION_PRESETS.unit;
  const c = model.channels;
  const { width, height } = raw;
  const t = Tensor.zeros([1, c, height, width]);
  const img: RawImage = { width, height, channels: c, data: new Uint8Array(width * height * c) };
  for (let ch = 0; ch < c; ch++) {
    const mean = norm.mean[ch] ?? norm.mean[0]!;
    const std = norm.std[ch] ?? norm.std[0]!;
    for (let p = 0; p < width * height; p++) {
      const px = raw.data.subarray(p * 4, p * 4 + 3);
      const v = c === 1 ? px[0]! : px[ch]!;
      img.data[p * c + ch] = v;
      t.data[ch * width * height + p] = (v / 255 - mean) / std;
    }
  }
  return { tensor: t, image: img };
}
export function encodeNpy(t: Tensor): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${t.dims.join(', ')}${t.dims.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + t.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), 10 + header.length);
  return out;
}
