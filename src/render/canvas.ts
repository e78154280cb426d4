import { LumenError } from '../errors.js';
import type { RawImage } from '../image/types.js';

export type { RawImage };

/** An 8-bit colour: gray, RGB or RGBA. Missing channels are derived (gray → RGB, alpha = 255). */
export type Color = readonly [number] | readonly [number, number, number] | readonly [number, number, number, number];

export const BLACK: Color = [0, 0, 0];
export const WHITE: Color = [255, 255, 255];

/** A new image of the given size filled with `background` (default white). */
export function createImage(width: number, height: number, channels: 1 | 3 | 4 = 3, background: Color = WHITE): RawImage {
  checkSize(width, height);
  const image: RawImage = { width, height, channels, data: new Uint8Array(width * height * channels) };
  fill(image, background);
  return image;
}

/** `color` expressed with `channels` components (RGB → gray by Rec. 601 luma, as OpenCV's BGR2GRAY). */
export function colorFor(color: Color, channels: 1 | 3 | 4): number[] {
  const [r, g, b] = color.length === 1 ? [color[0], color[0], color[0]] : [color[0], color[1]!, color[2]!];
  const a = color.length === 4 ? color[3]! : 255;
  if (channels === 1) return [Math.round(0.299 * r + 0.587 * g + 0.114 * b)];
  return channels === 3 ? [r, g, b] : [r, g, b, a];
}

/** Fill the whole image with one colour (in place). */
export function fill(image: RawImage, color: Color): RawImage {
  return fillRect(image, 0, 0, image.width, image.height, color);
}

/** Fill a rectangle, clipped to the image (in place). */
export function fillRect(image: RawImage, x: number, y: number, width: number, height: number, color: Color): RawImage {
  const px = colorFor(color, image.channels);
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(image.width, Math.floor(x + width));
  const y1 = Math.min(image.height, Math.floor(y + height));
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      image.data.set(px, (yy * image.width + xx) * image.channels);
    }
  }
  return image;
}

/** Set one pixel if it lies inside the image. */
export function setPixel(image: RawImage, x: number, y: number, color: Color): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  image.data.set(colorFor(color, image.channels), (y * image.width + x) * image.channels);
}

/** The pixel at (x, y) as an array of `image.channels` numbers. */
export function getPixel(image: RawImage, x: number, y: number): number[] {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) {
    throw new RangeError(`pixel (${x}, ${y}) is outside a ${image.width}×${image.height} image`);
  }
  const at = (y * image.width + x) * image.channels;
  return Array.from(image.data.subarray(at, at + image.channels));
}

/**
 * Copy `src` onto `dst` with its top-left corner at (x, y), clipped to `dst` (in place).
 * Channels are converted (gray ↔ RGB); an RGBA source is alpha-composited over the destination.
 */
export function blit(dst: RawImage, src: RawImage, x: number, y: number): RawImage {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(dst.width, x + src.width);
  const y1 = Math.min(dst.height, y + src.height);
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const s = ((yy - y) * src.width + (xx - x)) * src.channels;
      const d = (yy * dst.width + xx) * dst.channels;
      const color: Color =
        src.channels === 1
          ? [src.data[s]!]
          : [src.data[s]!, src.data[s + 1]!, src.data[s + 2]!];
      const px = colorFor(color, dst.channels);
      const alpha = src.channels === 4 ? src.data[s + 3]! / 255 : 1;
      for (let c = 0; c < dst.channels; c++) {
        if (c === 3) {
          // Porter-Duff "over" for the destination alpha.
          dst.data[d + 3] = Math.round(255 * (alpha + (dst.data[d + 3]! / 255) * (1 - alpha)));
        } else {
          dst.data[d + c] = alpha === 1 ? px[c]! : Math.round(alpha * px[c]! + (1 - alpha) * dst.data[d + c]!);
        }
      }
    }
  }
  return dst;
}

/** Nearest-neighbour upscale by an integer factor (every pixel becomes a factor×factor block). */
export function upscaleNearest(image: RawImage, factor: number): RawImage {
  if (!Number.isInteger(factor) || factor < 1) {
    throw new LumenError('BAD_OPTION', `upscale factor must be a positive integer, got ${factor}`, 2);
  }
  if (factor === 1) return { ...image, data: image.data.slice() };
  return resizeNearest(image, image.width * factor, image.height * factor);
}

/** Nearest-neighbour resize to any size (source pixel = floor(dst * src / dstSize), as OpenCV's INTER_NEAREST). */
export function resizeNearest(image: RawImage, width: number, height: number): RawImage {
  checkSize(width, height);
  const { channels } = image;
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor((y * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor((x * image.width) / width));
      const s = (sy * image.width + sx) * channels;
      out.set(image.data.subarray(s, s + channels), (y * width + x) * channels);
    }
  }
  return { width, height, channels, data: out };
}

/** The same image with 3 channels (gray replicated, alpha composited over `background`). */
export function toRgbImage(image: RawImage, background: Color = WHITE): RawImage {
  if (image.channels === 3) return image;
  return blit(createImage(image.width, image.height, 3, background), image, 0, 0);
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new LumenError('BAD_OPTION', `image size must be non-negative integers, got ${width}×${height}`, 2);
  }
}
