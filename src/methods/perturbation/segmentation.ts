/**
 * Segmentations for the segment-based perturbation methods (feature ablation, LIME, KernelSHAP): SLIC superpixels
 * following scikit-image's `slic` (CIELAB, grid seeding, 2·step search windows, connectivity enforcement) and a
 * plain grid. Both return an Int32Array label map of H·W values, labels 0..count-1 in raster order of first
 * appearance. Deterministic: SLIC uses no randomness.
 */
import { LumenError } from '../../errors.js';
import type { Normalization } from '../../metadata.js';
import { Tensor } from '../../tensor.js';
import { type PreparedImage } from './perturbation-run.js';
import type { ExplainOptions, OptionValues } from '../types.js';
import { checkLimit, checkNumber } from '../validate.js';
import { minMaxNormalize } from '../../math/min-max.js';
import { roundHalfEven } from '../../math/round.js';

export interface Segmentation {
  labels: Int32Array;
  count: number;
}

export interface SlicOptions {
  /** Approximate number of superpixels (skimage n_segments, default 100). */
  nSegments?: number;
  /** Colour vs space trade-off (skimage compactness, default 10): larger = squarer superpixels. */
  compactness?: number;
  /** k-means iterations (skimage max_num_iter, default 10). */
  maxIterations?: number;
  /** Merge connected components smaller than this fraction of the mean segment size (skimage, 0.5). */
  minSizeFactor?: number;
  /** Split components larger than this multiple of the mean segment size (skimage, 3). */
  maxSizeFactor?: number;
}

/**
 * SLIC superpixels of an image given as planar channels in [0,1] (C = 3: RGB, converted to CIELAB as skimage does;
 * C = 1: gray, scaled to 0..100 so that `compactness` means the same as for the L channel; other C: used as is).
 */
export function slic(rgb: Float32Array, channels: number, height: number, width: number, options: SlicOptions = {}): Segmentation {
  const H = height;
  const W = width;
  const P = H * W;
  const nSegments = Math.max(1, Math.round(options.nSegments ?? 100));
  const compactness = options.compactness ?? 10;
  const maxIter = options.maxIterations ?? 10;
  checkNumber(COMPACTNESS, compactness, 'slic');

  // Feature image (pixel-major, F features per pixel), scaled by 1/compactness like skimage.
  const F = channels;
  const feat = new Float64Array(P * F);
  const ratio = 1 / compactness;
  // skimage first rescales the whole image to [0, 1] (min-max over all channels) so compactness does not depend on
  // the input's range.
  const unit = minMaxNormalize(rgb.subarray(0, channels * P));
  if (channels === 3) {
    const lab = rgbToLab(unit, P);
    for (let i = 0; i < P * 3; i++) feat[i] = lab[i]! * ratio;
  } else {
    const gain = channels === 1 ? 100 : 1;
    for (let c = 0; c < F; c++) for (let p = 0; p < P; p++) feat[p * F + c] = unit[c * P + p]! * gain * ratio;
  }

  // Grid seeds: skimage regular_grid on (1, H, W).
  const { starts, steps } = regularGrid2d(H, W, nSegments);
  const centersY: number[] = [];
  const centersX: number[] = [];
  for (let y = starts[0]; y < H; y += steps[0]) {
    for (let x = starts[1]; x < W; x += steps[1]) {
      centersY.push(y);
      centersX.push(x);
    }
  }
  const K = centersY.length;
  const D = 2 + F;
  // Segment state: [y, x, features…]; colours start at 0 as in skimage's _get_grid_centroids.
  const seg = new Float64Array(K * D);
  for (let k = 0; k < K; k++) {
    seg[k * D] = centersY[k]!;
    seg[k * D + 1] = centersX[k]!;
  }
  const step = Math.max(steps[0], steps[1], 1);
  const spatialWeight = 1 / (step * step);
  const nearest = new Int32Array(P).fill(-1);
  const distance = new Float64Array(P);
  const counts = new Float64Array(K);
  const alive = new Uint8Array(K).fill(1);

  for (let iter = 0; iter < maxIter; iter++) {
    let changed = false;
    distance.fill(Number.MAX_VALUE);
    for (let k = 0; k < K; k++) {
      if (!alive[k]) continue;
      const cy = seg[k * D]!;
      const cx = seg[k * D + 1]!;
      // Search window ±2 grid steps per axis (skimage uses the integer per-axis steps here, max(steps) in the weight).
      const y0 = Math.trunc(Math.max(cy - 2 * steps[0], 0));
      const y1 = Math.trunc(Math.min(cy + 2 * steps[0] + 1, H));
      const x0 = Math.trunc(Math.max(cx - 2 * steps[1], 0));
      const x1 = Math.trunc(Math.min(cx + 2 * steps[1] + 1, W));
      for (let y = y0; y < y1; y++) {
        const dy = (cy - y) * (cy - y);
        for (let x = x0; x < x1; x++) {
          const p = y * W + x;
          let d = (dy + (cx - x) * (cx - x)) * spatialWeight;
          const fo = p * F;
          const so = k * D + 2;
          for (let c = 0; c < F; c++) {
            const t = feat[fo + c]! - seg[so + c]!;
            d += t * t;
          }
          if (distance[p]! > d) {
            nearest[p] = k;
            distance[p] = d;
            changed = true;
          }
        }
      }
    }
    if (!changed) break;
    seg.fill(0);
    counts.fill(0);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        const k = nearest[p]!;
        if (k < 0) continue;
        counts[k]! += 1;
        const o = k * D;
        seg[o]! += y;
        seg[o + 1]! += x;
        for (let c = 0; c < F; c++) seg[o + 2 + c]! += feat[p * F + c]!;
      }
    }
    // A segment that lost every pixel is dropped (skimage would divide by zero and never win again).
    for (let k = 0; k < K; k++) {
      if (counts[k] === 0) {
        alive[k] = 0;
        continue;
      }
      for (let d = 0; d < D; d++) seg[k * D + d]! /= counts[k]!;
    }
  }

  const segmentSize = P / K;
  const minSize = Math.trunc((options.minSizeFactor ?? 0.5) * segmentSize);
  const maxSize = Math.trunc((options.maxSizeFactor ?? 3) * segmentSize);
  return enforceConnectivity(nearest, H, W, minSize, Math.max(1, maxSize));
}

/** skimage.util.regular_grid for shape (1, H, W): starts and steps along y and x. */
function regularGrid2d(H: number, W: number, n: number): { starts: [number, number]; steps: [number, number] } {
  const space = H * W;
  if (space <= n) return { starts: [0, 0], steps: [1, 1] };
  // Dims sorted ascending are (1, min, max); the depth dim of size 1 is always "too small", so the 2-D step is
  // sqrt(H·W / n), unless that exceeds the smaller side (then that side gets one row and the other the rest).
  const sorted = [1, Math.min(H, W), Math.max(H, W)];
  const stepsSorted = [1, Math.sqrt(space / n), Math.sqrt(space / n)];
  if (!(sorted[1]! >= stepsSorted[1]!)) {
    stepsSorted[1] = sorted[1]!;
    stepsSorted[2] = sorted[2]! / n;
  }
  const forY = H <= W ? 1 : 2;
  const forX = H <= W ? 2 : 1;
  const sy = stepsSorted[forY]!;
  const sx = stepsSorted[forX]!;
  return {
    starts: [Math.floor(sy / 2), Math.floor(sx / 2)],
    steps: [Math.max(1, roundHalfEven(sy)), Math.max(1, roundHalfEven(sx))],
  };
}


/**
 * skimage's _enforce_label_connectivity_cython (2-D): relabel 4-connected components in raster order; a component
 * smaller than `minSize` takes the label of the last already-labelled neighbour met during its search (or keeps its
 * own, which the next component then shares, when it has none); the search of a component stops at `maxSize`
 * pixels (the rest becomes a new component).
 */
function enforceConnectivity(segments: Int32Array, H: number, W: number, minSize: number, maxSize: number): Segmentation {
  const P = H * W;
  const out = new Int32Array(P).fill(-1);
  const queue = new Int32Array(Math.max(maxSize, 1));
  const dx = [1, -1, 0, 0];
  const dy = [0, 0, 1, -1];
  let next = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const start = y * W + x;
      if (out[start]! >= 0) continue;
      // skimage starts with the component's own new label: a small component with no labelled neighbour keeps it
      // and the next component reuses the same label.
      let adjacent = next;
      const label = segments[start]!;
      out[start] = next;
      let size = 1;
      let visited = 0;
      queue[0] = start;
      while (visited < size && size < maxSize) {
        const q = queue[visited]!;
        const qy = (q / W) | 0;
        const qx = q - qy * W;
        for (let i = 0; i < 4; i++) {
          const yy = qy + dy[i]!;
          const xx = qx + dx[i]!;
          if (xx < 0 || xx >= W || yy < 0 || yy >= H) continue;
          const r = yy * W + xx;
          if (segments[r] === label && out[r] === -1) {
            out[r] = next;
            queue[size++] = r;
            if (size >= maxSize) break;
          } else if (out[r]! >= 0 && out[r] !== next) {
            adjacent = out[r]!;
          }
        }
        visited++;
      }
      if (size < minSize) {
        for (let i = 0; i < size; i++) out[queue[i]!] = adjacent;
      } else {
        next++;
      }
    }
  }
  // The quirk above can leave label `next` in use without incrementing it.
  let count = 0;
  for (let i = 0; i < P; i++) count = Math.max(count, out[i]! + 1);
  return { labels: out, count: Math.max(count, 1) };
}

/** sRGB in [0,1] (planar, 3·P) → CIELAB (pixel-major, P·3), D65 2° observer, as skimage.color.rgb2lab. */
export function rgbToLab(rgb: Float32Array | Float64Array, P: number): Float64Array {
  const out = new Float64Array(P * 3);
  const lin = (v: number): number => (v > 0.04045 ? Math.pow((v + 0.055) / 1.055, 2.4) : v / 12.92);
  const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  for (let p = 0; p < P; p++) {
    const r = lin(rgb[p]!);
    const g = lin(rgb[P + p]!);
    const b = lin(rgb[2 * P + p]!);
    const X = (0.412453 * r + 0.35758 * g + 0.180423 * b) / 0.95047;
    const Y = 0.212671 * r + 0.71516 * g + 0.072169 * b;
    const Z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883;
    const fx = f(X);
    const fy = f(Y);
    const fz = f(Z);
    out[p * 3] = 116 * fy - 16;
    out[p * 3 + 1] = 500 * (fx - fy);
    out[p * 3 + 2] = 200 * (fy - fz);
  }
  return out;
}

/** A gridRows × gridCols grid of equal cells (the last ones take the remainder). Labels row-major. */
export function gridSegments(height: number, width: number, gridRows: number, gridCols = gridRows): Segmentation {
  const rows = Math.max(1, Math.min(gridRows, height));
  const cols = Math.max(1, Math.min(gridCols, width));
  const labels = new Int32Array(height * width);
  for (let y = 0; y < height; y++) {
    const r = Math.floor((y * rows) / height);
    for (let x = 0; x < width; x++) labels[y * width + x] = r * cols + Math.floor((x * cols) / width);
  }
  return { labels, count: rows * cols };
}

/** Renumber any integer label map to 0..count-1 in raster order of first appearance. */
export function compactLabels(raw: ArrayLike<number>): Segmentation {
  const map = new Map<number, number>();
  const labels = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    let l = map.get(v);
    if (l === undefined) {
      l = map.size;
      map.set(v, l);
    }
    labels[i] = l;
  }
  return { labels, count: Math.max(map.size, 1) };
}

/**
 * The image as displayable values in [0,1] (planar): undo the model's mean/std normalization when it is known,
 * otherwise min-max scale the whole image.
 */
export function displayImage(image: PreparedImage, normalization: Normalization | undefined): Float32Array {
  const { channels: C, pixels: P, data } = image;
  const out = new Float32Array(C * P);
  if (normalization) {
    for (let c = 0; c < C; c++) {
      const mean = normalization.mean[c] ?? normalization.mean[0] ?? 0;
      const std = normalization.std[c] ?? normalization.std[0] ?? 1;
      for (let p = 0; p < P; p++) out[c * P + p] = Math.min(1, Math.max(0, data[c * P + p]! * std + mean));
    }
    return out;
  }
  return minMaxNormalize(data, out);
}

/** SLIC's compactness divides the colour distances, so 0 is not a value: (0, ∞). */
const COMPACTNESS = { name: 'compactness', type: 'number', default: 10, min: 0, exclusiveMin: true, description: 'SLIC: colour vs space trade-off on CIELAB (skimage compactness); larger = squarer superpixels.' } as const;

export const SEGMENTATION_OPTIONS = [
  // `featureMask` (your own label map: H·W integers, or a Tensor [1,1,H,W] / [N,1,H,W]) is API-only, so it is not
  // listed here (forms and CLI flags are generated from these specs).
  { name: 'segmentation', type: 'enum', choices: ['slic', 'grid'], default: 'slic', description: 'How the image is split into features: SLIC superpixels or a regular grid (API: a featureMask label map overrides both).' },
  { name: 'nSegments', type: 'integer', default: 50, min: 1, description: 'SLIC: approximate number of superpixels (skimage n_segments).' },
  COMPACTNESS,
  { name: 'gridSize', type: 'integer', default: 8, min: 1, description: "segmentation 'grid': number of cells per side (gridSize × gridSize features)." },
] as const;

/**
 * The segmentation a method uses for one image: `featureMask` when given (one map for all images, or one per
 * image), else SLIC superpixels or a grid per the options.
 */
export function segmentImage(image: PreparedImage, options: ExplainOptions & OptionValues<typeof SEGMENTATION_OPTIONS>, normalization: Normalization | undefined): Segmentation {
  const mask = options.featureMask;
  const P = image.pixels;
  if (mask !== undefined && mask !== null) {
    let values: ArrayLike<number>;
    if (mask instanceof Tensor) values = mask.data;
    else if (Array.isArray(mask) || (ArrayBuffer.isView(mask) && !(mask instanceof DataView))) values = mask as ArrayLike<number>;
    else throw new LumenError('BAD_OPTION', 'option featureMask: expected an array of H·W integers or a Tensor', 2);
    let slice: ArrayLike<number>;
    if (values.length === P) slice = values;
    else if (values.length % P === 0 && values.length / P > image.index) slice = Array.prototype.slice.call(values, image.index * P, (image.index + 1) * P) as number[];
    else throw new LumenError('BAD_OPTION', `option featureMask has ${values.length} values; the image has ${image.height}×${image.width} = ${P} pixels`, 2);
    for (let i = 0; i < slice.length; i++) {
      if (!Number.isInteger(slice[i])) throw new LumenError('BAD_OPTION', `option featureMask: value ${slice[i]} at ${i} is not an integer label`, 2);
    }
    return compactLabels(slice);
  }
  // limits that depend on the image beyond the declared ones (compactness > 0 is declared: COMPACTNESS)
  if (options.segmentation === 'grid') {
    const g = checkLimit('', 'gridSize', options.gridSize, 1, Math.max(image.height, image.width));
    return gridSegments(image.height, image.width, g);
  }
  const nSegments = checkLimit('', 'nSegments', options.nSegments, 1, P);
  return slic(displayImage(image, normalization), image.channels, image.height, image.width, { nSegments, compactness: options.compactness });
}
