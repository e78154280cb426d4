/**
 * The one display policy for an explanation: how an attribution tensor becomes one value per pixel, which colour
 * scale it gets, and the overlay picture. The CLI's PNGs, the HTML report (which embeds those PNGs) and the web app
 * all call this module, so the same explanation looks the same everywhere. See docs/visualization.md.
 */
import type { RawImage } from '../image/types.js';
import { resizeMapBilinear } from '../image/resize-map.js';
import { minMax, minMaxNormalize } from '../math/min-max.js';
import { Tensor } from '../tensor.js';
import { upscaleNearest } from './canvas.js';
import { attributionToMap, blendSigned, showCamOnImage } from './overlay.js';

/** What the policy needs to know about the method (a `MethodInfo` or a `Method` fits). */
export interface DisplaySource {
  /** The method's attributions can be negative (MethodInfo.signed). */
  signed: boolean;
  /** MethodInfo.family: 'gradient' attributions are per input value (Captum's domain), the others are maps. */
  family?: string;
}

/** How a map's values were brought to the colour scale. */
export type DisplayScale = 'symmetric' | 'from-zero' | 'min-max' | 'flat';

/** One value per pixel at the image's resolution: in [−1, 1] with 0 neutral when `signed`, else in [0, 1]. */
export interface DisplayMap {
  width: number;
  height: number;
  data: Float32Array;
  signed: boolean;
  scale: DisplayScale;
}

/**
 * The policy (pytorch-grad-cam's and Captum's visualisers, one rule each):
 * 1. A signed method's map with a negative value is shown symmetric around 0 (Captum `visualize_image_attr`,
 *    sign='all'): channels summed, divided by the 99% cumulative-sum threshold of |v|, clipped to [−1, 1].
 * 2. Otherwise an attribution per input value (the gradient family, or any with C > 1 channels) is |·| summed over
 *    channels and scaled from 0 by the same threshold (Captum sign='absolute_value' with channel sum): zero means no
 *    attribution, and the top 1% of the mass is clipped.
 * 3. Otherwise a one-channel map (CAMs, perturbation scores, attention) is min–max scaled, as pytorch-grad-cam's
 *    `scale_cam_image` and the RISE authors' `imshow` show them: a CAM already in [0, 1] with minimum 0 is unchanged,
 *    and a map of one sign far from 0 (RISE logits in [3.2, 5.1]) spans the whole colour scale. A constant map is 0.
 * Maps smaller than the image (layer CAMs) are first resized bilinearly, as cv2.resize would.
 */
export function displayMap(attribution: Tensor, source: DisplaySource, size?: { width: number; height: number }): DisplayMap {
  const attr = size ? toImageResolution(attribution, size.width, size.height) : attribution;
  const dims = attr.dims;
  const [h, w] = dims.slice(-2) as [number, number];
  const channels = dims.length >= 3 ? dims[dims.length - 3]! : 1;
  let lo = Infinity;
  for (const v of attr.data) if (Number.isFinite(v) && v < lo) lo = v;
  if (source.signed && lo < 0) {
    const m = attributionToMap(attr, { reduce: 'signed', clipPercentile: 99 });
    return { width: m.width, height: m.height, data: m.data, signed: true, scale: 'symmetric' };
  }
  if (channels > 1 || source.family === 'gradient') {
    const m = attributionToMap(attr, { reduce: 'abs-sum', clipPercentile: 99 });
    return { width: m.width, height: m.height, data: m.data, signed: false, scale: 'from-zero' };
  }
  const data = Float32Array.from(attr.data.subarray(0, h * w), (v) => (Number.isFinite(v) ? v : 0));
  const range = minMax(data);
  if (!(range[1] > range[0])) return { width: w, height: h, data: data.fill(0), signed: false, scale: 'flat' };
  // (v − 0) / (1 − 0) is v exactly, so a CAM in [0, 1] is passed through bit for bit
  return { width: w, height: h, data: minMaxNormalize(data, data, range), signed: false, scale: 'min-max' };
}

export interface RenderOverlayOptions {
  /** Colormap name; default 'bwr' for signed maps, 'jet' otherwise (pytorch-grad-cam's default). */
  colormap?: string;
  /** Scale small images up (nearest neighbour, whole factor) to about 224 px so they stay legible. Default true. */
  upscale?: boolean;
}

/**
 * The overlay picture of one attribution over its image: a signed map blended with a diverging colormap
 * (`blendSigned`, colour weight ∝ |v|), any other map as pytorch-grad-cam's `show_cam_on_image`.
 */
export function renderOverlay(image: RawImage, attribution: Tensor, source: DisplaySource | { info: DisplaySource }, options: RenderOverlayOptions | string = {}): RawImage {
  const opts = typeof options === 'string' ? { colormap: options } : options;
  const info = 'info' in source ? source.info : source;
  const map = displayMap(attribution, info, image);
  const picture = map.signed
    ? blendSigned(image, map.data, { colormap: opts.colormap ?? 'bwr' })
    : showCamOnImage(image, map.data, { colormap: opts.colormap ?? 'jet' });
  return opts.upscale === false ? picture : upscaleForView(picture);
}

/** The whole factor (≥ 1) the overlay is scaled up by so its longer side reaches about 224 px. */
export function viewScale(width: number, height: number): number {
  return Math.max(1, Math.floor(224 / Math.max(width, height)));
}

export function upscaleForView(image: RawImage): RawImage {
  const factor = viewScale(image.width, image.height);
  return factor > 1 ? upscaleNearest(image, factor) : image;
}

/** Layer-resolution maps (e.g. LayerGradCam's h×w) resized to the image, channel by channel, as cv2.resize would. */
function toImageResolution(attr: Tensor, width: number, height: number): Tensor {
  const [h, w] = attr.dims.slice(-2) as [number, number];
  if (h === height && w === width) return attr;
  const channels = attr.size / (h * w);
  const out = new Float32Array(channels * width * height);
  for (let c = 0; c < channels; c++) {
    out.set(resizeMapBilinear(attr.data.subarray(c * h * w, (c + 1) * h * w), w, h, width, height), c * width * height);
  }
  return new Tensor(out, [1, channels, height, width]);
}
