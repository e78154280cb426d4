import type { RawImage } from '../image/types.js';
import { blit, createImage, fillRect, upscaleNearest, type Color } from './canvas.js';
import { drawText, LINE_HEIGHT, measureText } from './text.js';

/** Matplotlib's 'hsv' colormap at i/k for each of k concepts (pytorch-grad-cam's default concept colours), RGB 0–1. */
export function conceptColors(k: number): [number, number, number][] {
  return Array.from({ length: k }, (_, i) => hsvToRgb(i / k, 1, 1));
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  return ([[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]] as const)[i]!.slice() as [number, number, number];
}

export interface FactorizationImageOptions {
  /** Weight of the image in the blend. Default 0.3 (run_dff_on_image's). */
  imageWeight?: number;
  /** One legend line per concept (e.g. its top classes); no legend when omitted. */
  labels?: readonly string[];
  /** Integer upscale (nearest) of the blended image before the legend is added, for small inputs. Default 1. */
  scale?: number;
}

/**
 * pytorch-grad-cam's `show_factorization_on_image`: each pixel takes the colour of its strongest concept, with the
 * brightness (HSV value) of that concept's map there; blended with the image; a legend of colour swatches and labels
 * is drawn to the right. `maps`: k maps of width × height in [0, 1] (scaled per concept).
 */
export function factorizationImage(image: RawImage, maps: Float32Array, k: number, options: FactorizationImageOptions = {}): RawImage {
  const { width, height, channels } = image;
  const w = options.imageWeight ?? 0.3;
  const n = width * height;
  const colors = conceptColors(k);
  const out = createImage(width, height, 3);
  for (let p = 0; p < n; p++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (maps[j * n + p]! > maps[best * n + p]!) best = j;
    const v = Math.min(1, Math.max(0, maps[best * n + p]!));
    for (let c = 0; c < 3; c++) {
      const img = image.data[p * channels + (channels === 1 ? 0 : c)]! / 255;
      out.data[p * 3 + c] = Math.min(255, Math.floor(255 * (img * w + colors[best]![c]! * v * (1 - w))));
    }
  }
  const scaled = (options.scale ?? 1) > 1 ? upscaleNearest(out, Math.floor(options.scale!)) : out;
  return options.labels ? withLegend(scaled, colors, options.labels) : scaled;
}

/** The image with a legend to its right: one swatch and label per concept. */
export function withLegend(image: RawImage, colors: readonly (readonly [number, number, number])[], labels: readonly string[]): RawImage {
  const swatch = 8;
  const pad = 4;
  const textWidth = Math.max(...labels.map((l) => measureText(l).width));
  const legendHeight = labels.length * (LINE_HEIGHT + 2) + pad;
  const out = createImage(image.width + pad * 3 + swatch + textWidth, Math.max(image.height, legendHeight), 3);
  blit(out, image, 0, 0);
  labels.forEach((label, j) => {
    const y = pad + j * (LINE_HEIGHT + 2);
    const [r, g, b] = colors[j]!;
    const color: Color = [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
    fillRect(out, image.width + pad, y, swatch, swatch, color);
    drawText(out, image.width + pad * 2 + swatch, y, label, [0, 0, 0]);
  });
  return out;
}
