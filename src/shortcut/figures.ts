/** Example figures of the shortcut benchmark: the same images explained on two models, side by side. */
import type { Box as PixelBox } from '../datasets/shapes.js';
import type { RawImage } from '../image/types.js';
import { toRgbImage, type Color } from '../render/canvas.js';
import { makeGrid, type GridCell, type GridImage } from '../render/grid.js';
import { attributionToMap, showCamOnImage } from '../render/overlay.js';
import type { Tensor } from '../tensor.js';

export const OBJECT_BOX_COLOR: Color = [0, 200, 0];
export const MARKER_BOX_COLOR: Color = [255, 0, 0];

/** Draw a 1-pixel rectangle outline just outside the box [x0, y0, x1, y1] (x1/y1 exclusive), clipped. */
export function outlineBox(image: RawImage, [x0, y0, x1, y1]: PixelBox, color: Color): RawImage {
  const rgbImage = toRgbImage(image);
  const out: RawImage = { ...rgbImage, data: rgbImage.data.slice() }; // toRgbImage returns an RGB input as is
  const rgb = [color[0], color[1] ?? color[0], color[2] ?? color[0]];
  const put = (x: number, y: number): void => {
    if (x < 0 || y < 0 || x >= out.width || y >= out.height) return;
    out.data.set(rgb, (y * out.width + x) * 3);
  };
  for (let x = x0 - 1; x <= x1; x++) {
    put(x, y0 - 1);
    put(x, y1);
  }
  for (let y = y0 - 1; y <= y1; y++) {
    put(x0 - 1, y);
    put(x1, y);
  }
  return out;
}

/** The map shown for an attribution: the positive part for signed methods (what relevance mass counts), else Σ|a|. */
export function attributionOverlay(image: RawImage, attribution: Tensor, signed: boolean): RawImage {
  const map = attributionToMap(attribution, { reduce: signed ? 'positive' : 'abs-sum', clipPercentile: 99 });
  return showCamOnImage(image, map, { colormap: 'jet', imageWeight: 0.5 });
}

export interface ShortcutExample {
  id: string;
  /** The image as the models see it. */
  image: RawImage;
  objectBox: PixelBox;
  markerBox?: PixelBox;
  /** Caption line, e.g. 'square, marker says circle'. */
  caption: string;
}

export interface ShortcutExampleMethod {
  method: string;
  signed: boolean;
  /** Attribution per model name, per example id. */
  attributions: Record<string, Record<string, Tensor | undefined>>;
}

/**
 * One grid: a row of the input images (object box green, marker box red), then one row per method; for each
 * example two columns, one per model (e.g. clean | shortcut).
 */
export function shortcutExampleGrid(examples: readonly ShortcutExample[], models: readonly string[], methods: readonly ShortcutExampleMethod[]): GridImage {
  const inputRow: (GridCell | null)[] = [];
  const columnHeaders: string[] = [];
  examples.forEach((ex, e) => {
    let boxed = outlineBox(ex.image, ex.objectBox, OBJECT_BOX_COLOR);
    if (ex.markerBox) boxed = outlineBox(boxed, ex.markerBox, MARKER_BOX_COLOR);
    for (const m of models) {
      inputRow.push({ image: boxed });
      columnHeaders.push(`#${e + 1} ${m}`);
    }
  });
  const rows: (GridCell | null)[][] = [inputRow];
  for (const m of methods) {
    const row: (GridCell | null)[] = [];
    for (const ex of examples) {
      for (const model of models) {
        const attr = m.attributions[model]?.[ex.id];
        row.push(attr ? { image: attributionOverlay(ex.image, attr, m.signed) } : null);
      }
    }
    rows.push(row);
  }
  return makeGrid(rows, { rowHeaders: ['input', ...methods.map((m) => m.method)], columnHeaders, upscale: 2, padding: 4 });
}
