import { LumenError } from '../errors.js';
import type { Normalization } from '../metadata.js';
import { Tensor } from '../tensor.js';
import type { RawImage } from './types.js';

export { resizeMapBilinear, resizeMapNearest, resizeMapBilinearAlignCorners } from './resize-map.js';

export interface ToTensorOptions {
  width: number;
  height: number;
  channels: 1 | 3;
  layout?: 'NCHW' | 'NHWC';
  normalization: Normalization;
  /** stretch to the size, centre-crop to its aspect ratio then resize, or require the exact size. */
  resize?: 'stretch' | 'center-crop' | 'none';
}

/** ITU-R 601 luma, rounded as PIL's convert('L') does. */
export function toGrayscale(img: RawImage): RawImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * img.channels;
    // PIL: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16
    out[i] = (img.data[o]! * 19595 + img.data[o + 1]! * 38470 + img.data[o + 2]! * 7471 + 0x8000) >> 16;
  }
  return { width: img.width, height: img.height, channels: 1, data: out };
}

export function toRgb(img: RawImage): RawImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = img.data[i * img.channels + (img.channels === 1 ? 0 : c)]!;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

export function centerCrop(img: RawImage, width: number, height: number): RawImage {
  const w = Math.min(width, img.width);
  const h = Math.min(height, img.height);
  const x0 = Math.floor((img.width - w) / 2);
  const y0 = Math.floor((img.height - h) / 2);
  const out = new Uint8Array(w * h * img.channels);
  for (let y = 0; y < h; y++) {
    const src = ((y + y0) * img.width + x0) * img.channels;
    out.set(img.data.subarray(src, src + w * img.channels), y * w * img.channels);
  }
  return { width: w, height: h, channels: img.channels, data: out };
}

/**
 * Bilinear resize of an 8-bit image with half-pixel centres. Downscaling is antialiased with a triangle filter whose
 * support grows with the scale factor (as PIL's BILINEAR and torchvision's antialias=True); upscaling is plain bilinear.
 */
export function resizeBilinear(img: RawImage, width: number, height: number, { antialias = true } = {}): RawImage {
  if (img.width === width && img.height === height) return img;
  const horizontal = filterWeights(img.width, width, antialias);
  const vertical = filterWeights(img.height, height, antialias);
  const c = img.channels;
  const tmp = new Float64Array(width * img.height * c);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = horizontal[x]!;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k]! * img.data[(y * img.width + start + k) * c + ch]!;
        tmp[(y * width + x) * c + ch] = s;
      }
    }
  }
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const { start, weights } = vertical[y]!;
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k]! * tmp[((start + k) * width + x) * c + ch]!;
        out[(y * width + x) * c + ch] = Math.min(255, Math.max(0, Math.round(s)));
      }
    }
  }
  return { width, height, channels: c, data: out };
}

function filterWeights(inSize: number, outSize: number, antialias: boolean): { start: number; weights: Float64Array }[] {
  const scale = inSize / outSize;
  const support = antialias && scale > 1 ? scale : 1;
  const result: { start: number; weights: Float64Array }[] = [];
  for (let d = 0; d < outSize; d++) {
    const centre = (d + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    const w = new Float64Array(hi - lo);
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const v = Math.max(0, 1 - Math.abs((i + 0.5 - centre) / support));
      w[i - lo] = v;
      sum += v;
    }
    for (let i = 0; i < w.length; i++) w[i] = sum > 0 ? w[i]! / sum : 0;
    result.push({ start: lo, weights: w });
  }
  return result;
}

/** Normalize an 8-bit image into a [1, C, H, W] (or NHWC) float32 tensor: x = (u8/255 − mean[c]) / std[c]. */
export function imageToTensor(image: RawImage, options: ToTensorOptions): Tensor {
  const { width, height, channels, normalization } = options;
  let img = channels === 1 ? toGrayscale(image) : toRgb(image);
  const mode = options.resize ?? 'stretch';
  if (img.width !== width || img.height !== height) {
    if (mode === 'none') {
      throw new LumenError('INPUT_SHAPE', `image is ${img.width}×${img.height} but the model takes ${width}×${height} (resizing is off)`);
    }
    if (mode === 'center-crop') {
      const s = Math.min(img.width / width, img.height / height);
      img = centerCrop(img, Math.round(width * s), Math.round(height * s));
    }
    img = resizeBilinear(img, width, height);
  }
  const mean = expand(normalization.mean, channels, 'mean');
  const std = expand(normalization.std, channels, 'std');
  const out = new Float32Array(channels * width * height);
  const plane = width * height;
  const nhwc = options.layout === 'NHWC';
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < channels; c++) {
      // float64 then one rounding to float32, as NumPy computes (u8/255 - mean)/std.
      const v = (img.data[i * channels + c]! / 255 - mean[c]!) / std[c]!;
      out[nhwc ? i * channels + c : c * plane + i] = v;
    }
  }
  return new Tensor(out, nhwc ? [1, height, width, channels] : [1, channels, height, width]);
}

/** Inverse of the normalization: a [1,C,H,W] (or [1,H,W,C]) tensor back to an 8-bit image, for overlays. */
export function tensorToImage(tensor: Tensor, normalization: Normalization, layout: 'NCHW' | 'NHWC' = 'NCHW'): RawImage {
  const [, a, b, c] = tensor.dims as [number, number, number, number];
  const [channels, height, width] = layout === 'NCHW' ? [a, b, c] : [c, a, b];
  if (channels !== 1 && channels !== 3) throw new LumenError('INPUT_SHAPE', `cannot show a ${channels}-channel tensor as an image`);
  const mean = expand(normalization.mean, channels, 'mean');
  const std = expand(normalization.std, channels, 'std');
  const plane = width * height;
  const out = new Uint8Array(plane * channels);
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < channels; ch++) {
      const v = tensor.data[layout === 'NCHW' ? ch * plane + i : i * channels + ch]! * std[ch]! + mean[ch]!;
      out[i * channels + ch] = Math.min(255, Math.max(0, Math.round(v * 255)));
    }
  }
  return { width, height, channels: channels as 1 | 3, data: out };
}

function expand(values: readonly number[], channels: number, what: string): number[] {
  if (values.length === channels) return [...values];
  if (values.length === 1) return new Array<number>(channels).fill(values[0]!);
  if (channels === 1 && values.length === 3) {
    throw new LumenError('BAD_OPTION', `normalization ${what} has 3 values but the model takes 1-channel images`, 2);
  }
  throw new LumenError('BAD_OPTION', `normalization ${what} has ${values.length} values for ${channels} channels`, 2);
}
