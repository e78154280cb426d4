/**
 * From 8-bit pixels to the float tensor a model takes, and back. Pure TypeScript (Node and browser). The conventions
 * follow the usual PyTorch pipeline, PIL's convert/resize + torchvision's ToTensor + Normalize, so that a tensor made
 * here equals the one a Python user feeds the same model.
 */
import { LumenError } from '../errors.js';
import { NORMALIZATION_PRESETS, type Normalization, type NormalizationPreset } from '../metadata.js';
import { Tensor } from '../tensor.js';
import type { InputLayout } from '../layout.js';
import type { RawImage } from './types.js';
import { roundHalfEven } from '../math/round.js';

export { resizeMapBilinear, resizeMapNearest, resizeMapBilinearAlignCorners } from './resize-map.js';

/** A preset name or explicit per-channel mean/std (one value = the same for every channel). */
export type NormalizationSpec = NormalizationPreset | Normalization;

/** The two image layouts (Lumen's own tensors are always NCHW: src/layout.ts). */
export type TensorLayout = InputLayout;

/**
 * How an image of another size becomes the model's size: `stretch` resizes to it (aspect ratio not kept),
 * `center-crop` first cuts the largest centred region with the model's aspect ratio, `none` requires the exact size.
 */
export type ResizeMode = 'stretch' | 'center-crop' | 'none';

export interface ToTensorOptions {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Default 'NCHW'. */
  layout?: TensorLayout;
  normalization: NormalizationSpec;
  /** Default 'stretch'. */
  resize?: ResizeMode;
  /** Antialias when shrinking (default true, as PIL's resize). */
  antialias?: boolean;
  /**
   * With resize 'center-crop': first scale the shorter side to this size, then cut the centred width×height
   * region, exactly torchvision's eval transform `Resize(resizeShorter), CenterCrop((height, width))` on a PIL
   * image (e.g. 256 for 224×224 ImageNet models). Without it, 'center-crop' cuts the largest centred region with the
   * model's aspect ratio and resizes that.
   */
  resizeShorter?: number;
}

export function resolveNormalization(spec: NormalizationSpec): Normalization {
  if (typeof spec === 'string') {
    const preset = NORMALIZATION_PRESETS[spec];
    if (!preset) {
      throw new LumenError('BAD_OPTION', `unknown normalization '${String(spec)}' (use imagenet, unit, none, or {mean, std})`, 2);
    }
    return preset;
  }
  return spec;
}

/** ITU-R 601-2 luma, with PIL's integer rounding: L = (19595·R + 38470·G + 7471·B + 0x8000) >> 16. Alpha is ignored. */
export function toGrayscale(img: RawImage): RawImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const c = img.channels;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * c;
    out[i] = (img.data[o]! * 19595 + img.data[o + 1]! * 38470 + img.data[o + 2]! * 7471 + 0x8000) >> 16;
  }
  return { width: img.width, height: img.height, channels: 1, data: out };
}

/** Gray → RGB by copying the value, RGBA → RGB by dropping alpha (as PIL's convert('RGB')). */
export function toRgb(img: RawImage): RawImage {
  if (img.channels === 3) return img;
  const n = img.width * img.height;
  const c = img.channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < 3; ch++) out[i * 3 + ch] = img.data[i * c + (c === 1 ? 0 : ch)]!;
  }
  return { width: img.width, height: img.height, channels: 3, data: out };
}

/**
 * The centred width×height region (clipped to the image). The offset is floor((size − crop)/2), the usual NumPy/PIL
 * recipe `(w - s) // 2` with which the conformance input chelsea64.png was made (torchvision's CenterCrop rounds
 * instead, one pixel further right/down when size − crop is odd and the half rounds up).
 */
export function centerCrop(img: RawImage, width: number, height: number, { offset = 'floor' }: { offset?: 'floor' | 'torchvision' } = {}): RawImage {
  checkSize(width, height, 'centerCrop');
  const w = Math.min(width, img.width);
  const h = Math.min(height, img.height);
  if (w === img.width && h === img.height) return img;
  // torchvision: int(round((size − crop) / 2.0)), Python's round (half to even).
  const start = (size: number, crop: number): number => (offset === 'torchvision' ? roundHalfEven((size - crop) / 2) : Math.floor((size - crop) / 2));
  const x0 = start(img.width, w);
  const y0 = start(img.height, h);
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const src = ((y + y0) * img.width + x0) * c;
    out.set(img.data.subarray(src, src + w * c), y * w * c);
  }
  return { width: w, height: h, channels: c, data: out };
}

/**
 * torchvision's Resize(size) with an int: the shorter side becomes `size`, the longer one int(size · long / short)
 * (truncated), resampled with PIL-exact bilinear.
 */
export function resizeShorterSide(img: RawImage, size: number, options: { antialias?: boolean } = {}): RawImage {
  checkSize(size, size, 'resizeShorterSide');
  const portrait = img.width <= img.height;
  const short = portrait ? img.width : img.height;
  const long = portrait ? img.height : img.width;
  const newLong = Math.trunc((size * long) / short);
  return portrait ? resizeBilinear(img, size, newLong, options) : resizeBilinear(img, newLong, size, options);
}

/**
 * Bilinear resize of an 8-bit image with half-pixel centres, reproducing PIL's Image.resize(BILINEAR) bit for bit:
 * separable (horizontal pass, then vertical), 22-bit fixed-point weights, 8-bit intermediate. When shrinking with
 * `antialias` (the default) the triangle filter's support grows with the scale factor, so each output pixel averages
 * all the input pixels it covers; upscaling (or antialias: false) is plain bilinear, border pixels repeated.
 */
export function resizeBilinear(img: RawImage, width: number, height: number, { antialias = true }: { antialias?: boolean } = {}): RawImage {
  checkSize(width, height, 'resizeBilinear');
  checkImage(img);
  if (img.width === width && img.height === height) return img;
  // PIL resizes RGBA with premultiplied alpha, so that transparent pixels' colours do not bleed into visible ones.
  let current = img.channels === 4 ? premultiply(img) : img;
  // PIL skips a pass whose size does not change (the weights would be the identity anyway).
  if (width !== img.width) current = resizePass(current, width, true, antialias);
  if (height !== img.height) current = resizePass(current, height, false, antialias);
  return img.channels === 4 ? unpremultiply(current) : current;
}

/** PIL's RGBA → RGBa: c·a/255 rounded with its MULDIV255 integer trick. */
function premultiply(img: RawImage): RawImage {
  const data = img.data.slice();
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = data[i + c]! * a + 128;
      data[i + c] = ((t >> 8) + t) >> 8;
    }
  }
  return { ...img, data };
}

/** PIL's RGBa → RGBA: c·255/a truncated (alpha 0 or 255 leaves the colour as is). */
function unpremultiply(img: RawImage): RawImage {
  const data = img.data;
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3]!;
    if (a === 0 || a === 255) continue;
    for (let c = 0; c < 3; c++) data[i + c] = Math.min(255, Math.floor((255 * data[i + c]!) / a));
  }
  return img;
}

const PRECISION_BITS = 32 - 8 - 2;
const FIXED_ONE = 2 ** PRECISION_BITS;
const FIXED_HALF = 2 ** (PRECISION_BITS - 1);

interface FixedWeights {
  start: Int32Array;
  count: Int32Array;
  /** `maxTaps` integer weights per output index. */
  weights: Int32Array;
  maxTaps: number;
}

/** PIL's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
function fixedWeights(inSize: number, outSize: number, antialias: boolean): FixedWeights {
  const scale = inSize / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = 1 * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * maxTaps);
  const k = new Float64Array(maxTaps);
  const inv = 1 / filterScale;
  for (let d = 0; d < outSize; d++) {
    const centre = (d + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(centre + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - centre + 0.5) * inv);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? k[x]! / total : k[x]!;
      weights[d * maxTaps + x] = w < 0 ? Math.trunc(-0.5 + w * FIXED_ONE) : Math.trunc(0.5 + w * FIXED_ONE);
    }
    start[d] = xmin;
    count[d] = xmax;
  }
  return { start, count, weights, maxTaps };
}

function resizePass(img: RawImage, outSize: number, horizontal: boolean, antialias: boolean): RawImage {
  const { width, height, channels: c, data } = img;
  const inSize = horizontal ? width : height;
  const { start, count, weights, maxTaps } = fixedWeights(inSize, outSize, antialias);
  const outW = horizontal ? outSize : width;
  const outH = horizontal ? height : outSize;
  const out = new Uint8Array(outW * outH * c);
  // Step between consecutive taps along the resized axis, in bytes.
  const tapStride = horizontal ? c : width * c;
  const acc = new Float64Array(c);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const d = horizontal ? x : y;
      let p = horizontal ? (y * width + start[d]!) * c : (start[d]! * width + x) * c;
      const n = count[d]!;
      const wOff = d * maxTaps;
      // Sums stay far below 2^53 (255 · 2^22 per tap), so float64 holds PIL's 32-bit integer sums exactly.
      // Scalar accumulators for the common 1- and 3-channel cases: several times faster than an array.
      if (c === 1) {
        let a0 = FIXED_HALF;
        for (let t = 0; t < n; t++, p += tapStride) a0 += data[p]! * weights[wOff + t]!;
        acc[0] = a0;
      } else if (c === 3) {
        let a0 = FIXED_HALF;
        let a1 = FIXED_HALF;
        let a2 = FIXED_HALF;
        for (let t = 0; t < n; t++, p += tapStride) {
          const w = weights[wOff + t]!;
          a0 += data[p]! * w;
          a1 += data[p + 1]! * w;
          a2 += data[p + 2]! * w;
        }
        acc[0] = a0;
        acc[1] = a1;
        acc[2] = a2;
      } else {
        acc.fill(FIXED_HALF);
        for (let t = 0; t < n; t++, p += tapStride) {
          const w = weights[wOff + t]!;
          for (let ch = 0; ch < c; ch++) acc[ch]! += data[p + ch]! * w;
        }
      }
      const o = (y * outW + x) * c;
      for (let ch = 0; ch < c; ch++) {
        const v = Math.floor(acc[ch]! / FIXED_ONE);
        out[o + ch] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  return { width: outW, height: outH, channels: c, data: out };
}

/**
 * Normalize an 8-bit image into a [1, C, H, W] (or [1, H, W, C]) float32 tensor, x = (u8/255 − mean[c]) / std[c],
 * converting gray/RGB(A) to `channels` and resizing as `resize` says. The arithmetic is torchvision's ToTensor +
 * Normalize in float32, step by step, so the result equals a PyTorch-made tensor bit for bit.
 */
export function imageToTensor(image: RawImage, options: ToTensorOptions): Tensor {
  const { width, height, channels } = options;
  checkSize(width, height, 'imageToTensor');
  checkImage(image);
  if (channels !== 1 && channels !== 3) {
    throw new LumenError('INPUT_SHAPE', `images can become 1- or 3-channel tensors, but ${String(channels)} channels were asked for`);
  }
  const img = fitImage(channels === 1 ? toGrayscale(image) : toRgb(image), options);
  const { mean, std } = channelNormalization(resolveNormalization(options.normalization), channels);
  const plane = width * height;
  const out = new Float32Array(channels * plane);
  const nhwc = options.layout === 'NHWC';
  const f32 = Math.fround;
  for (let ch = 0; ch < channels; ch++) {
    // Per channel, a table of the 256 possible values.
    const table = new Float32Array(256);
    const m = f32(mean[ch]!);
    const s = f32(std[ch]!);
    for (let u = 0; u < 256; u++) table[u] = f32(f32(f32(u / 255) - m) / s);
    if (isRawScale(mean[ch]!, std[ch]!)) for (let u = 0; u < 256; u++) table[u] = u;
    for (let i = 0; i < plane; i++) {
      out[nhwc ? i * channels + ch : ch * plane + i] = table[img.data[i * channels + ch]!]!;
    }
  }
  return new Tensor(out, nhwc ? [1, height, width, channels] : [1, channels, height, width]);
}

/** mean 0, std 1/255 is the 'none' preset: raw 0..255 values, kept exact rather than (u/255)/(1/255). */
function isRawScale(mean: number, std: number): boolean {
  return mean === 0 && std === 1 / 255;
}

/** Several images as one [N, C, H, W] (or [N, H, W, C]) batch, each prepared as imageToTensor does. */
export function imagesToBatch(images: readonly RawImage[], options: ToTensorOptions): Tensor {
  if (images.length === 0) throw new LumenError('INPUT_SHAPE', 'a batch needs at least one image');
  return Tensor.concat(images.map((img) => imageToTensor(img, options)));
}

/** The image as the model sees it (converted, cropped, resized) before normalization. */
export function fitImage(img: RawImage, options: Pick<ToTensorOptions, 'width' | 'height' | 'resize' | 'antialias' | 'resizeShorter'>): RawImage {
  const { width, height } = options;
  const mode = options.resize ?? 'stretch';
  const antialias = options.antialias ?? true;
  if (mode !== 'stretch' && mode !== 'center-crop' && mode !== 'none') {
    throw new LumenError('BAD_OPTION', `unknown resize mode '${String(mode)}' (use stretch, center-crop or none)`, 2);
  }
  // torchvision's Resize + CenterCrop resamples even an image of the final size, so this comes before the shortcut.
  if (mode === 'center-crop' && options.resizeShorter !== undefined) {
    const shorter = options.resizeShorter;
    if (!Number.isInteger(shorter) || shorter < Math.min(width, height)) {
      throw new LumenError('BAD_OPTION', `resizeShorter must be an integer ≥ the crop size ${width}×${height}, got ${shorter}`, 2);
    }
    const resized = resizeShorterSide(img, shorter, { antialias });
    const cropped = centerCrop(resized, width, height, { offset: 'torchvision' });
    if (cropped.width !== width || cropped.height !== height) {
      throw new LumenError('BAD_OPTION', `resizeShorter ${shorter} gives a ${resized.width}×${resized.height} image, too small to crop ${width}×${height}`, 2);
    }
    return cropped;
  }
  if (img.width === width && img.height === height) return img;
  if (mode === 'none') {
    throw new LumenError(
      'INPUT_SHAPE',
      `the image is ${img.width}×${img.height} but the model takes ${width}×${height} (width×height) and resizing is off; ` +
        `resize the image or allow resizing (stretch or center-crop)`,
    );
  }
  let src = img;
  if (mode === 'center-crop') {
    const s = Math.min(img.width / width, img.height / height);
    src = centerCrop(img, Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s)));
  }
  return resizeBilinear(src, width, height, { antialias });
}

/**
 * Inverse of imageToTensor's normalization: a [1,C,H,W] / [C,H,W] tensor (or [1,H,W,C] / [H,W,C] with layout NHWC)
 * back to an 8-bit image, for overlays. Values are rounded and clamped to 0..255.
 */
export function tensorToImage(tensor: Tensor, normalization: NormalizationSpec, layout: TensorLayout = 'NCHW'): RawImage {
  const dims = tensor.dims;
  if (!(dims.length === 3 || (dims.length === 4 && dims[0] === 1))) {
    throw new LumenError('INPUT_SHAPE', `expected one image tensor [1, C, H, W] or [C, H, W] (${layout}), got [${dims.join(', ')}]`);
  }
  const [a, b, c] = dims.slice(-3) as [number, number, number];
  const [channels, height, width] = layout === 'NCHW' ? [a, b, c] : [c, a, b];
  if (channels !== 1 && channels !== 3) {
    throw new LumenError('INPUT_SHAPE', `cannot show a ${channels}-channel tensor [${dims.join(', ')}] as an image (${layout}); expected 1 or 3 channels`);
  }
  const { mean, std } = channelNormalization(resolveNormalization(normalization), channels);
  const plane = width * height;
  const out = new Uint8Array(plane * channels);
  for (let ch = 0; ch < channels; ch++) {
    const raw = isRawScale(mean[ch]!, std[ch]!);
    for (let i = 0; i < plane; i++) {
      const x = tensor.data[layout === 'NCHW' ? ch * plane + i : i * channels + ch]!;
      const v = raw ? x : (x * std[ch]! + mean[ch]!) * 255;
      out[i * channels + ch] = Number.isNaN(v) ? 0 : Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { width, height, channels, data: out };
}

/** Mean/std with one value per channel (a single value applies to all channels). */
export function channelNormalization(normalization: Normalization, channels: number): { mean: number[]; std: number[] } {
  return { mean: expand(normalization.mean, channels, 'mean'), std: expand(normalization.std, channels, 'std') };
}

function expand(values: readonly number[], channels: number, what: string): number[] {
  if (values.length === channels) return [...values];
  if (values.length === 1) return new Array<number>(channels).fill(values[0]!);
  throw new LumenError(
    'BAD_OPTION',
    `normalization ${what} has ${values.length} values but the model takes ${channels}-channel images (give 1 or ${channels} values)`,
    2,
  );
}

function checkSize(width: number, height: number, where: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new LumenError('BAD_OPTION', `${where}: width and height must be positive integers, got ${width}×${height}`, 2);
  }
}

function checkImage(img: RawImage): void {
  const need = img.width * img.height * img.channels;
  if (img.data.length !== need) {
    throw new LumenError('BAD_IMAGE', `image data has ${img.data.length} bytes but ${img.width}×${img.height}×${img.channels} needs ${need}`);
  }
}
