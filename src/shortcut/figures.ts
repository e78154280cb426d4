/** Example figures of the shortcut benchmark: the same images explained on two models, side by side. */
import type { Box as PixelBox } from '../datasets/shapes.js';
import type { RawImage } from '../image/types.js';
import { toRgbImage, type Color } from '../render/canvas.js';
import { renderOverlay, type DisplaySource } from '../render/display.js';
import { makeGrid, type GridCell, type GridImage } from '../render/grid.js';
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
  /** The method's signedness and family: the overlay follows the one display policy (src/render/display.ts). */
  info: DisplaySource;
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
        // the grid scales every cell by 2, so the overlay keeps the image's size
        row.push(attr ? { image: renderOverlay(ex.image, attr, m.info, { upscale: false }) } : null);
      }
    }
    rows.push(row);
  }
  return makeGrid(rows, { rowHeaders: ['input', ...methods.map((m) => m.method)], columnHeaders, upscale: 2, padding: 4 });
}
