import { LumenError, closestNames } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { COLORMAP_HEX } from './colormap-data.js';

/**
 * Colormaps as 256-entry RGB tables.
 * - `jet`: OpenCV's COLORMAP_JET, byte for byte (what pytorch-grad-cam's `show_cam_on_image` uses).
 * - `turbo`: Google's Turbo table. `viridis`, `inferno`, `magma`: matplotlib's tables.
 * - `bwr`, `RdBu`: matplotlib's diverging maps, for signed values centred at 0 (entry 127.5 ≈ the neutral colour).
 * - `gray`: identity ramp.
 */
export const COLORMAP_NAMES = ['jet', 'turbo', 'viridis', 'inferno', 'magma', 'bwr', 'RdBu', 'gray'] as const;
export type ColormapName = (typeof COLORMAP_NAMES)[number];

/** Diverging maps: meant for signed data with 0 in the middle. */
export const DIVERGING_COLORMAPS: readonly ColormapName[] = ['bwr', 'RdBu'];

const cache = new Map<ColormapName, Uint8Array>();

export function isColormapName(name: string): name is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(name);
}

/** The 256×3 RGB lookup table of a colormap (entry i is the colour for value i/255). Shared: do not modify. */
export function colormap(name: ColormapName | string): Uint8Array {
  if (!isColormapName(name)) {
    throw new LumenError(
      'BAD_OPTION',
      `unknown colormap '${name}'; known: ${COLORMAP_NAMES.join(', ')} (closest: ${closestNames(name, COLORMAP_NAMES, 3).join(', ')})`,
      2,
    );
  }
  let lut = cache.get(name);
  if (!lut) {
    lut = new Uint8Array(256 * 3);
    if (name === 'gray') {
      for (let i = 0; i < 256; i++) lut.fill(i, i * 3, i * 3 + 3);
    } else {
      const hex = COLORMAP_HEX[name];
      for (let i = 0; i < lut.length; i++) lut[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    }
    cache.set(name, lut);
  }
  return lut;
}

export interface ApplyColormapOptions {
  /** Value shown with the first entry (default 0). Use -1 with a diverging map for signed maps. */
  min?: number;
  /** Value shown with the last entry (default 1). */
  max?: number;
}

/**
 * Table index for a value: `uint8(255 · t)` with t = (v − min)/(max − min) clipped to [0, 1] — the
 * truncation pytorch-grad-cam applies (`np.uint8(255 * mask)`, computed in float32). NaN maps to entry 0.
 */
export function colormapIndex(value: number, min = 0, max = 1): number {
  const t = (value - min) / (max - min);
  if (!(t > 0)) return 0;
  if (t >= 1) return 255;
  // In float32, as numpy does it for a float32 mask (255·t can round up to the next integer).
  return Math.min(255, Math.floor(Math.fround(255 * Math.fround(t))));
}

/** Map each value through a colormap: returns RGB bytes (3 per value). */
export function applyColormap(
  map: ArrayLike<number>,
  name: ColormapName | string = 'jet',
  { min = 0, max = 1 }: ApplyColormapOptions = {},
): Uint8Array {
  if (!(max > min)) throw new LumenError('BAD_OPTION', `colormap range needs max > min, got [${min}, ${max}]`, 2);
  const lut = colormap(name);
  const out = new Uint8Array(map.length * 3);
  for (let i = 0; i < map.length; i++) {
    const k = colormapIndex(map[i]!, min, max) * 3;
    out[i * 3] = lut[k]!;
    out[i * 3 + 1] = lut[k + 1]!;
    out[i * 3 + 2] = lut[k + 2]!;
  }
  return out;
}

/** `applyColormap` packaged as an RGB image of the given size (`map` is row-major, width × height). */
export function colormapImage(
  map: ArrayLike<number>,
  width: number,
  height: number,
  name: ColormapName | string = 'jet',
  options: ApplyColormapOptions = {},
): RawImage {
  if (map.length !== width * height) {
    throw new LumenError('BAD_OPTION', `map has ${map.length} values, expected ${width}×${height} = ${width * height}`, 2);
  }
  return { width, height, channels: 3, data: applyColormap(map, name, options) };
}
