/**
 * The one Gaussian blur (separable, float64 sums) used by the insertion metric's start image, the 'blur' baselines of
 * the gradient methods and the perturbation methods' 'blur' hiding. Callers differ only in the parameters they pass:
 * the kernel size and how pixels past the border are read.
 */

type Numbers = ArrayLike<number>;

/**
 * How a tap outside the plane is read: 'replicate' repeats the edge pixel (cv2 BORDER_REPLICATE, scipy 'nearest');
 * 'mirror' reflects about the edge pixel without repeating it (cv2 BORDER_REFLECT_101, scipy 'mirror').
 */
export type BlurBorder = 'replicate' | 'mirror';

/** Normalized 1-D Gaussian kernel of `size` taps centred at (size − 1) / 2, standard deviation `sigma` pixels. */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    s += k[i]!;
  }
  if (!(s > 0)) {
    // σ so small that every tap underflows to 0 (an even size's middle taps from σ ≈ 0.013), or 2σ² does (0/0 at the
    // centre): the kernel's limit as σ → 0, all weight on the tap nearest the centre (the two nearest for an even size)
    for (let i = 0; i < size; i++) k[i] = Math.abs(i - c) < 1 ? 1 : 0;
    s = size % 2 === 1 ? 1 : 2;
  }
  for (let i = 0; i < size; i++) k[i]! /= s;
  return k;
}

/** The kernel size the methods use for a given σ: 2⌈3σ⌉ + 1 taps (at least 3). */
export function threeSigmaSize(sigma: number): number {
  return 2 * Math.max(1, Math.ceil(3 * sigma)) + 1;
}

function borderIndex(i: number, n: number, border: BlurBorder): number {
  if (i >= 0 && i < n) return i;
  if (border === 'replicate') return i < 0 ? 0 : n - 1;
  return mirrorIndex(i, n);
}

/**
 * Index i of a length-n axis reflected about its end samples without repeating them, for any integer i: cv2
 * BORDER_REFLECT_101, scipy 'mirror', numpy/skimage 'reflect' (… 2 1 | 0 1 2 … n−1 | n−2 …). The blur's 'mirror'
 * border and RISE's mask upsampling read it.
 */
export function mirrorIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - m;
  return m;
}

/** For each output position and tap, the source index (a table keeps the inner loops free of branches). */
function tapTable(out: number, n: number, k: number, r: number, mode: 'same' | 'valid', border: BlurBorder): Int32Array {
  const t = new Int32Array(out * k);
  for (let x = 0; x < out; x++) for (let j = 0; j < k; j++) t[x * k + j] = mode === 'same' ? borderIndex(x + j - r, n, border) : x + j;
  return t;
}

/**
 * Separable convolution of an H×W plane with a symmetric 1-D kernel, rows first, each sum in float64 in tap order.
 * 'same' keeps H×W (taps outside read by `border`); 'valid' keeps only the positions where the whole window fits.
 */
export function convolveSeparable(
  plane: Numbers,
  height: number,
  width: number,
  kernel: Float64Array,
  mode: 'same' | 'valid',
  border: BlurBorder = 'replicate',
): { data: Float64Array; height: number; width: number } {
  const k = kernel.length;
  const r = Math.floor((k - 1) / 2);
  const outW = mode === 'same' ? width : width - k + 1;
  const outH = mode === 'same' ? height : height - k + 1;
  if (outW <= 0 || outH <= 0) throw new Error(`convolve: kernel ${k} larger than ${height}×${width}`);
  const cols = tapTable(outW, width, k, r, mode, border);
  const rowsIdx = tapTable(outH, height, k, r, mode, border);
  const rows = new Float64Array(height * outW);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < outW; x++) {
      let s = 0;
      const base = x * k;
      for (let t = 0; t < k; t++) s += kernel[t]! * plane[row + cols[base + t]!]!;
      rows[y * outW + x] = s;
    }
  }
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const base = y * k;
    for (let x = 0; x < outW; x++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += kernel[t]! * rows[rowsIdx[base + t]! * outW + x]!;
      out[y * outW + x] = s;
    }
  }
  return { data: out, height: outH, width: outW };
}

export interface BlurOptions {
  /** Standard deviation in pixels. */
  sigma: number;
  /** Kernel taps; default 2⌈3σ⌉ + 1. */
  size?: number;
  /** Default 'replicate'. */
  border?: BlurBorder;
}

/** Gaussian blur of one H×W plane, in float64. */
export function gaussianBlurPlane(plane: Numbers, height: number, width: number, options: BlurOptions): Float64Array {
  const { sigma, size = threeSigmaSize(sigma), border = 'replicate' } = options;
  return convolveSeparable(plane, height, width, gaussianKernel(size, sigma), 'same', border).data;
}

/** Gaussian blur of each of the `planes` consecutive H×W planes of `data` (planar NCHW), rounded to float32. */
export function gaussianBlurPlanes(data: Float32Array, planes: number, height: number, width: number, options: BlurOptions): Float32Array {
  const P = height * width;
  const out = new Float32Array(planes * P);
  for (let c = 0; c < planes; c++) out.set(gaussianBlurPlane(data.subarray(c * P, (c + 1) * P), height, width, options), c * P);
  return out;
}
