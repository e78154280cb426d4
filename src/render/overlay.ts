import { LumenError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { Tensor } from '../tensor.js';
import type { InputLayout } from '../layout.js';
import { colormap, colormapIndex, type ColormapName } from './colormaps.js';

/** A float image in [0, 1], HWC row-major (pytorch-grad-cam's `rgb_img`). */
export interface FloatImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Float32Array;
}

/** A per-pixel map: raw values (row-major, width × height), a Tensor holding them, or an `AttributionMap`. */
export type MapLike = ArrayLike<number> | Tensor | { data: Float32Array };

export interface ShowCamOptions {
  /** Default 'jet' (pytorch-grad-cam's default, cv2.COLORMAP_JET). */
  colormap?: ColormapName | string;
  /** Weight of the image in the blend, in [0, 1]; the heatmap gets 1 − imageWeight. Default 0.5. */
  imageWeight?: number;
}

const f32 = Math.fround;

/**
 * pytorch-grad-cam's `show_cam_on_image(img, mask, use_rgb=True, image_weight)`, reproduced in float32:
 * heatmap = colormap(uint8(255·mask)) / 255; cam = (1 − w)·heatmap + w·img; cam /= max(cam); uint8(255·cam).
 * A uint8 image is first divided by 255 (float32), as `np.float32(img) / 255` does. Returns RGB.
 */
export function showCamOnImage(image: RawImage | FloatImage, mask: MapLike, options: ShowCamOptions = {}): RawImage {
  const { colormap: name = 'jet', imageWeight = 0.5 } = options;
  if (!(imageWeight >= 0 && imageWeight <= 1)) {
    throw new LumenError('BAD_OPTION', `imageWeight should be in the range [0, 1], got ${imageWeight}`, 2);
  }
  const { width, height } = image;
  const values = mapValues(mask, width, height, 'mask');
  const rgb = floatRgb(image);
  const lut = colormap(name);
  const heatWeight = f32(1 - imageWeight);
  const imgWeight = f32(imageWeight);
  const n = width * height;
  const cam = new Float32Array(n * 3);
  let max = -Infinity;
  for (let p = 0; p < n; p++) {
    const k = colormapIndex(values[p]!) * 3;
    for (let c = 0; c < 3; c++) {
      const heat = f32(lut[k + c]! / 255);
      const v = f32(f32(heatWeight * heat) + f32(imgWeight * rgb[p * 3 + c]!));
      cam[p * 3 + c] = v;
      if (v > max) max = v;
    }
  }
  const out = new Uint8Array(n * 3);
  if (max > 0) {
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(f32(255 * f32(cam[i]! / max)));
  }
  return { width, height, channels: 3, data: out };
}

export const REDUCTIONS = ['abs-sum', 'abs-max', 'sum', 'positive', 'signed'] as const;
export type AttributionReduce = (typeof REDUCTIONS)[number];

export interface AttributionToMapOptions {
  /**
   * How channels become one value per pixel (default 'abs-sum'):
   * - 'abs-sum': Σ_c |a_c|
   * - 'abs-max': max_c |a_c| (Simonyan et al.'s saliency map)
   * - 'sum': |Σ_c a_c| (Captum `visualize_image_attr(sign='absolute_value')`)
   * - 'positive': max(Σ_c a_c, 0) (Captum sign='positive')
   * - 'signed': Σ_c a_c, kept signed, result in [−1, 1] (Captum sign='all')
   */
  reduce?: AttributionReduce;
  /**
   * Scale so that the values holding this percentage of the total |mass| map to at most 1, and clip the rest
   * (Captum's `_cumulative_sum_threshold` with outlier_perc = 100 − clipPercentile). Default 99
   * (Captum's own default is 98). 100 = divide by the maximum.
   */
  clipPercentile?: number;
  /** Layout of a rank-3/4 attribution tensor. Default 'NCHW'. */
  layout?: InputLayout;
}

/** A displayable per-pixel map: values in [0, 1], or in [−1, 1] when `signed`. */
export interface AttributionMap {
  width: number;
  height: number;
  data: Float32Array;
  signed: boolean;
  /** The divisor that was used (the cumulative-sum threshold); 0 when the attribution is all zeros. */
  scale: number;
}

/**
 * Turn an attribution tensor ([1,C,H,W], [C,H,W] or [H,W]) into one displayable value per pixel, as Captum's
 * `visualize_image_attr` does: reduce over channels, divide by the cumulative-sum threshold, clip.
 */
export function attributionToMap(attr: Tensor, options: AttributionToMapOptions = {}): AttributionMap {
  const { reduce = 'abs-sum', clipPercentile = 99, layout = 'NCHW' } = options;
  if (!(clipPercentile >= 0 && clipPercentile <= 100)) {
    throw new LumenError('BAD_OPTION', `clipPercentile must be in [0, 100], got ${clipPercentile}`, 2);
  }
  if (!REDUCTIONS.includes(reduce)) {
    throw new LumenError('BAD_OPTION', `reduce must be one of ${REDUCTIONS.join(', ')}, got '${String(reduce)}'`, 2);
  }
  const { channels, width, height, at } = channelView(attr, layout);
  const n = width * height;
  const combined = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let acc = 0;
    for (let c = 0; c < channels; c++) {
      const raw = at(c, p);
      const v = Number.isFinite(raw) ? raw : 0; // a NaN/Inf attribution would otherwise poison the scale
      if (reduce === 'abs-sum') acc += Math.abs(v);
      else if (reduce === 'abs-max') acc = Math.max(acc, Math.abs(v));
      else acc += v;
    }
    if (reduce === 'sum') acc = Math.abs(acc);
    else if (reduce === 'positive') acc = Math.max(acc, 0);
    combined[p] = acc;
  }
  const signed = reduce === 'signed';
  const magnitudes = signed ? combined.map(Math.abs) : combined;
  const scale = cumulativeSumThreshold(magnitudes, clipPercentile);
  const data = new Float32Array(n);
  if (scale > 0) {
    const lo = signed ? -1 : 0;
    for (let p = 0; p < n; p++) data[p] = Math.min(1, Math.max(lo, combined[p]! / scale));
  }
  return { width, height, data, signed, scale };
}

/**
 * Captum's `_cumulative_sum_threshold`: sort the (non-negative) values, and return the first one at which
 * the running sum reaches `percentile`% of the total. 0 when all values are 0.
 */
export function cumulativeSumThreshold(values: ArrayLike<number>, percentile: number): number {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  const target = total * 0.01 * percentile;
  let cum = 0;
  for (const v of sorted) {
    cum += v;
    if (cum >= target) return v;
  }
  return sorted[sorted.length - 1] ?? 0;
}

export interface MaskTopOptions {
  /** Rank by |value| instead of value (for signed maps). Default false. */
  byMagnitude?: boolean;
  /** Value given to the pixels that are not kept. Default 0. */
  fill?: number;
}

/**
 * Keep the top `percent`% of pixels (round(percent·n/100) of them; ties broken by pixel order) and set the
 * rest to `fill`. Returns a new array.
 */
export function maskTopPercent(map: MapLike, percent: number, options: MaskTopOptions = {}): Float32Array {
  const { byMagnitude = false, fill = 0 } = options;
  if (!(percent >= 0 && percent <= 100)) {
    throw new LumenError('BAD_OPTION', `percent must be in [0, 100], got ${percent}`, 2);
  }
  const values = rawValues(map);
  const n = values.length;
  const keep = Math.round((percent * n) / 100);
  const key = (i: number): number => {
    const v = values[i]!;
    const k = byMagnitude ? Math.abs(v) : v;
    return Number.isNaN(k) ? -Infinity : k;
  };
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => key(b) - key(a) || a - b);
  const out = new Float32Array(n).fill(fill);
  for (let r = 0; r < keep; r++) out[order[r]!] = values[order[r]!]!;
  return out;
}

export interface BlendSignedOptions {
  /** A diverging colormap; value −1 → first entry, 0 → middle, +1 → last. Default 'bwr'. */
  colormap?: ColormapName | string;
  /** Maximum weight of the colour over the image, in [0, 1]. Default 0.8. */
  opacity?: number;
  /**
   * 'magnitude' (default): each pixel's colour weight is opacity·|v|, so pixels with no attribution show the
   * image untouched. 'constant': weight = opacity everywhere (Captum's `blended_heat_map` with alpha_overlay).
   */
  mode?: 'magnitude' | 'constant';
  /** Show the image as gray (channel mean, as Captum's blended_heat_map does). Default false. */
  grayscale?: boolean;
}

/** Overlay a signed map (values in [−1, 1], 0 = no attribution) on an image with a diverging colormap. */
export function blendSigned(image: RawImage | FloatImage, signedMap: MapLike, options: BlendSignedOptions = {}): RawImage {
  const { colormap: name = 'bwr', opacity = 0.8, mode = 'magnitude', grayscale = false } = options;
  if (!(opacity >= 0 && opacity <= 1)) throw new LumenError('BAD_OPTION', `opacity must be in [0, 1], got ${opacity}`, 2);
  const { width, height } = image;
  const values = mapValues(signedMap, width, height, 'signed map');
  const rgb = floatRgb(image);
  const lut = colormap(name);
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const v = Number.isNaN(values[p]!) ? 0 : Math.min(1, Math.max(-1, values[p]!));
    const alpha = mode === 'magnitude' ? opacity * Math.abs(v) : opacity;
    const k = colormapIndex(v, -1, 1) * 3;
    const gray = (rgb[p * 3]! + rgb[p * 3 + 1]! + rgb[p * 3 + 2]!) / 3;
    for (let c = 0; c < 3; c++) {
      const base = 255 * (grayscale ? gray : rgb[p * 3 + c]!);
      out[p * 3 + c] = Math.round((1 - alpha) * base + alpha * lut[k + c]!);
    }
  }
  return { width, height, channels: 3, data: out };
}

/** The image as float32 RGB in [0, 1] (gray replicated, alpha dropped). */
function floatRgb(image: RawImage | FloatImage): Float32Array {
  const { width, height, channels, data } = image;
  const n = width * height;
  if (data.length !== n * channels) {
    throw new LumenError('BAD_IMAGE', `image data has ${data.length} values, expected ${width}×${height}×${channels}`);
  }
  const isFloat = data instanceof Float32Array;
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[p * channels + (channels === 1 ? 0 : c)]!;
      if (isFloat && (v > 1 || v < 0)) {
        throw new LumenError('BAD_IMAGE', `a float image should be in the range [0, 1], found ${v}`);
      }
      out[p * 3 + c] = isFloat ? v : f32(v / 255);
    }
  }
  return out;
}

function rawValues(map: MapLike): ArrayLike<number> {
  if (map instanceof Tensor) return map.data;
  if (typeof map === 'object' && 'data' in map && map.data instanceof Float32Array) return map.data;
  return map as ArrayLike<number>;
}

function mapValues(map: MapLike, width: number, height: number, what: string): ArrayLike<number> {
  const values = rawValues(map);
  if (values.length !== width * height) {
    throw new LumenError(
      'BAD_OPTION',
      `${what} has ${values.length} values but the image is ${width}×${height}; resize the map to the image first`,
      2,
    );
  }
  return values;
}

interface ChannelView {
  channels: number;
  width: number;
  height: number;
  at: (channel: number, pixel: number) => number;
}

function channelView(attr: Tensor, layout: InputLayout): ChannelView {
  const dims = attr.dims;
  const data = attr.data;
  if (dims.length === 2) return { channels: 1, height: dims[0]!, width: dims[1]!, at: (_c, p) => data[p]! };
  let rest = dims;
  if (dims.length === 4) {
    if (dims[0] !== 1) {
      throw new LumenError('BAD_OPTION', `attributionToMap takes one item, got a batch of ${dims[0]}; use tensor.item(i)`, 2);
    }
    rest = dims.slice(1);
  } else if (dims.length !== 3) {
    throw new LumenError('BAD_OPTION', `attribution must be [1,C,H,W], [C,H,W] or [H,W], got [${dims.join(', ')}]`, 2);
  }
  if (layout === 'NHWC') {
    const [height, width, channels] = rest as [number, number, number];
    return { channels, width, height, at: (c, p) => data[p * channels + c]! };
  }
  const [channels, height, width] = rest as [number, number, number];
  const plane = width * height;
  return { channels, width, height, at: (c, p) => data[c * plane + p]! };
}
