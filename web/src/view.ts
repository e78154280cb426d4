import { COLORMAP_NAMES, attributionToMap, colormap, colormapIndex, encodeNpy, type RawImage, type Tensor } from '../../src/browser.js';

export const COLORMAPS = ['auto', ...COLORMAP_NAMES] as const;
/** 'auto': jet for maps in [0,1] (as pytorch-grad-cam shows them), the diverging bwr for signed attributions. */
export const DEFAULT_COLORMAP = 'auto';

export function resolveColormap(name: string, signed: boolean): string {
  return name === 'auto' ? (signed ? 'bwr' : 'jet') : name;
}

/**
 * One value per pixel, scaled for display: [0,1], or [-1,1] when `signed`.
 * - Per-channel attributions (gradient methods) as Captum's visualize_image_attr: channels summed (signed) or
 *   |·| summed, divided by the 99th-percentile cumulative-sum threshold, clipped.
 * - Maps (CAM, perturbation): a signed method's map with both signs is divided by max|v| (zero stays neutral);
 *   a map of one sign (CAMs, RISE scores) is min-max scaled for contrast (a CAM in [0,1] is unchanged).
 */
export function displayMap(attribution: Tensor, signedMethod: boolean): { map: Float32Array; width: number; height: number; signed: boolean } {
  const [, c = 1, h = 1, w = 1] = attribution.dims;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of attribution.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const signed = signedMethod && lo < 0 && hi > 0;
  if (c > 1) {
    const m = attributionToMap(attribution, { reduce: signed ? 'signed' : 'abs-sum' });
    return { map: m.data, width: m.width, height: m.height, signed: m.signed };
  }
  const map = Float32Array.from(attribution.data.subarray(0, h * w));
  if (signed) {
    const m = Math.max(-lo, hi);
    for (let p = 0; p < map.length; p++) map[p]! /= m;
  } else if (hi > lo) {
    for (let p = 0; p < map.length; p++) map[p] = (map[p]! - lo) / (hi - lo);
  } else {
    map.fill(0);
  }
  return { map, width: w, height: h, signed };
}

/** The map through a colormap as opaque RGBA (the overlay's opacity is applied when compositing). */
export function heatmapImageData(map: Float32Array, width: number, height: number, colormapName: string, signed: boolean): ImageData {
  const lut = colormap(resolveColormap(colormapName, signed));
  const out = new ImageData(width, height);
  for (let p = 0; p < map.length; p++) {
    const k = colormapIndex(map[p]!, signed ? -1 : 0, 1) * 3;
    out.data[4 * p] = lut[k]!;
    out.data[4 * p + 1] = lut[k + 1]!;
    out.data[4 * p + 2] = lut[k + 2]!;
    out.data[4 * p + 3] = 255;
  }
  return out;
}

export function rawToImageData(image: RawImage): ImageData {
  const out = new ImageData(image.width, image.height);
  const ch = image.channels;
  for (let p = 0; p < image.width * image.height; p++) {
    for (let k = 0; k < 3; k++) out.data[4 * p + k] = image.data[p * ch + (ch >= 3 ? k : 0)]!;
    out.data[4 * p + 3] = ch === 4 ? image.data[p * ch + 3]! : 255;
  }
  return out;
}

/** The overlay as a PNG, scaled up so small inputs stay legible (nearest-neighbour, ≥ 224 px). */
export async function overlayPngBlob(base: RawImage, heat: ImageData, opacity: number): Promise<Blob> {
  const scale = Math.max(1, Math.ceil(224 / Math.max(base.width, base.height)));
  const canvas = new OffscreenCanvas(base.width * scale, base.height * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(await createImageBitmap(rawToImageData(base)), 0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = opacity;
  ctx.drawImage(await createImageBitmap(heat), 0, 0, canvas.width, canvas.height);
  return canvas.convertToBlob({ type: 'image/png' });
}

export function npyBlob(t: Tensor): Blob {
  const bytes = encodeNpy(t.data, t.dims);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
}

export function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Deletion and insertion curves in one small SVG chart. */
export function curveSvg(deletion: { x: number[]; y: number[] }, insertion: { x: number[]; y: number[] }): SVGSVGElement | undefined {
  if (deletion.y.length < 2 && insertion.y.length < 2) return undefined;
  const NS = 'http://www.w3.org/2000/svg';
  const [W, H, P] = [200, 90, 14];
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Deletion (red) and insertion (blue) curves: target probability against the fraction of pixels changed');
  const axis = document.createElementNS(NS, 'path');
  axis.setAttribute('d', `M${P},${P / 2} V${H - P} H${W - 4}`);
  axis.setAttribute('stroke', '#888');
  axis.setAttribute('fill', 'none');
  svg.append(axis);
  for (const [curve, colour, name] of [[deletion, '#c0392b', 'deletion'], [insertion, '#1f5fbf', 'insertion']] as const) {
    if (curve.y.length < 2) continue;
    const pts = curve.y.map((y, i) => `${(P + (curve.x[i] ?? i / (curve.y.length - 1)) * (W - P - 4)).toFixed(1)},${(H - P - Math.max(0, Math.min(1, y)) * (H - 1.5 * P)).toFixed(1)}`);
    const line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('stroke', colour);
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke-width', '1.5');
    const title = document.createElementNS(NS, 'title');
    title.textContent = name;
    line.append(title);
    svg.append(line);
  }
  const label = document.createElementNS(NS, 'text');
  label.setAttribute('x', String(W - 4));
  label.setAttribute('y', String(H - 2));
  label.setAttribute('text-anchor', 'end');
  label.setAttribute('font-size', '9');
  label.textContent = 'deletion — red · insertion — blue';
  svg.append(label);
  return svg;
}
