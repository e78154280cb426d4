import type { RawImage } from './canvas.js';

/** Distinct colours for class maps (category k gets CLASS_PALETTE[k mod 12]; 0, the background of most maps, black). */
export const CLASS_PALETTE: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
  [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128],
];

export function classColor(category: number): readonly [number, number, number] {
  return CLASS_PALETTE[category % CLASS_PALETTE.length]!;
}

/** A class map (H·W category indices) as an RGB picture in CLASS_PALETTE's colours. */
export function classMapImage(map: ArrayLike<number>, width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(classColor(map[p]!), p * 3);
  return { width, height, channels: 3, data };
}
