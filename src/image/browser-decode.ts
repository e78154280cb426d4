/**
 * Browser image decoding: canvas pixels in, RawImage out. Typed against the DOM lib; nothing here runs at import
 * time, so the module can be imported (not called) in Node too.
 */
import { LumenError } from '../errors.js';
import { sniffFileType, SUPPORTED_IMAGE_FORMATS } from './sniff.js';
import type { RawImage } from './types.js';

export interface BrowserDecodeOptions {
  /** Keep the alpha channel (RGBA). Default false: alpha is dropped, giving RGB. */
  keepAlpha?: boolean;
}

/**
 * Canvas pixels (always RGBA) as a RawImage: RGB by default, RGBA with keepAlpha. Colour is not composited onto a
 * background. Canvas 2D keeps colour premultiplied by alpha, so semi-transparent pixels can come back ±1 (or more
 * for alpha near 0) from the file's values; opaque pixels are exact, as in the Node decoder.
 */
export function imageFromImageData(imageData: ImageData, options: BrowserDecodeOptions = {}): RawImage {
  const { width, height } = imageData;
  const rgba = new Uint8Array(imageData.data.buffer, imageData.data.byteOffset, imageData.data.byteLength);
  if (options.keepAlpha) return { width, height, channels: 4, data: rgba.slice() };
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = rgba[i * 4]!;
    rgb[i * 3 + 1] = rgba[i * 4 + 1]!;
    rgb[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return { width, height, channels: 3, data: rgb };
}

/** The pixels of a loaded <img> (at its natural size) or of a <canvas>. */
export function imageFromElement(element: HTMLImageElement | HTMLCanvasElement, options: BrowserDecodeOptions = {}): RawImage {
  const isImg = typeof HTMLImageElement !== 'undefined' && element instanceof HTMLImageElement;
  if (isImg && !element.complete) throw new LumenError('BAD_IMAGE', 'the <img> has not finished loading; wait for its load event (or img.decode())');
  const width = isImg ? element.naturalWidth : element.width;
  const height = isImg ? element.naturalHeight : element.height;
  if (!width || !height) {
    throw new LumenError('BAD_IMAGE', isImg ? `the <img> has no pixels (failed to load ${element.currentSrc || element.src || 'its source'}?)` : 'the canvas is 0×0');
  }
  return imageFromImageData(drawToImageData(element, width, height), options);
}

/** Decode an image Blob / File (PNG, JPEG, WebP, and whatever else the browser decodes). */
export async function decodeImageBlob(blob: Blob, options: BrowserDecodeOptions = {}): Promise<RawImage> {
  const name = 'name' in blob && typeof blob.name === 'string' && blob.name ? blob.name : 'image';
  if (blob.size === 0) throw new LumenError('BAD_IMAGE', `${name}: the file is empty (0 bytes), not an image`);
  const head = new Uint8Array(await blob.slice(0, 512).arrayBuffer());
  const kind = sniffFileType(head);
  if (!kind.image && !(blob.type.startsWith('image/') && kind.label === 'unknown format')) {
    throw new LumenError('BAD_IMAGE', `${name}: not an image, the content looks like: ${kind.label}; expected ${SUPPORTED_IMAGE_FORMATS}`);
  }
  let bitmap: ImageBitmap;
  try {
    // Raw stored values: no colour-profile conversion and no premultiplication, like the Node decoder.
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new LumenError('BAD_IMAGE', `${name}: the ${kind.image ? kind.label : 'image'} is truncated, corrupt or not decodable by this browser (${reason})`);
  }
  try {
    return imageFromImageData(drawToImageData(bitmap, bitmap.width, bitmap.height), options);
  } finally {
    bitmap.close();
  }
}

/** The RGBA pixels of `source` drawn at `width`×`height` on a fresh canvas (OffscreenCanvas where there is one). */
export function drawToImageData(source: CanvasImageSource, width: number, height: number): ImageData {
  let ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (typeof OffscreenCanvas !== 'undefined') {
    ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  } else if (typeof document !== 'undefined') {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    ctx = canvas.getContext('2d', { willReadFrequently: true });
  } else {
    throw new LumenError('BAD_IMAGE', 'no canvas available to read image pixels (use the Node image reader outside the browser)');
  }
  if (!ctx) throw new LumenError('BAD_IMAGE', 'no 2D canvas context available to read the image pixels');
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width, height);
}
