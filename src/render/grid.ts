import { LumenError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { BLACK, WHITE, blit, createImage, fillRect, upscaleNearest, type Color } from './canvas.js';
import { colormap, colormapIndex, type ColormapName } from './colormaps.js';
import { niceTicks } from './chart.js';
import { CAP_HEIGHT, GLYPH_HEIGHT, LINE_HEIGHT, drawText, measureText } from './text.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GridCell {
  image: RawImage;
  /** Lines drawn centred under the image. */
  label?: string | string[];
}

export interface GridOptions {
  /** Space around and between everything, in pixels. Default 4. */
  padding?: number;
  background?: Color;
  textColor?: Color;
  /** Integer font scale. Default 1. */
  textScale?: number;
  /** Height reserved under every image for labels. Default: enough for the longest label. */
  labelHeight?: number;
  /** One header per row, drawn left of the row. */
  rowHeaders?: string[];
  /** One header per column, drawn above the column. */
  columnHeaders?: string[];
  /** A title above everything. */
  title?: string;
  /**
   * Nearest-neighbour upscale of every image by this integer factor, or 'auto': the smallest factor that makes
   * the longer side at least 96 pixels (so a 28×28 image shows at 4×). Default 1.
   */
  upscale?: number | 'auto';
}

/** Where things were drawn, for callers that annotate further (and for tests). */
export interface GridLayout {
  /** The rectangle each image occupies (null for an empty cell). */
  cells: (Rect | null)[][];
  columnHeaders: Rect[];
  rowHeaders: Rect[];
  title: Rect | null;
}

export type GridImage = RawImage & { layout: GridLayout };

const AUTO_UPSCALE_TARGET = 96;

/**
 * Lay images out in rows and columns (e.g. methods × classes, or images × methods), with optional row/column
 * headers, a title and labels under each image. Columns are as wide as their widest image, label or header;
 * images are centred in their column. Returns an RGB image.
 */
export function makeGrid(cells: readonly (readonly (GridCell | null | undefined)[])[], options: GridOptions = {}): GridImage {
  const {
    padding = 4,
    background = WHITE,
    textColor = BLACK,
    textScale = 1,
    rowHeaders,
    columnHeaders,
    title,
    upscale = 1,
  } = options;
  const s = Math.max(1, Math.floor(textScale));
  const nRows = cells.length;
  const nCols = Math.max(0, ...cells.map((row) => row.length), columnHeaders?.length ?? 0);
  if (rowHeaders && rowHeaders.length !== nRows) {
    throw new LumenError('BAD_OPTION', `${rowHeaders.length} row headers for ${nRows} rows`, 2);
  }

  const images = cells.map((row) =>
    Array.from({ length: nCols }, (_, c) => {
      const cell = row[c];
      if (!cell) return null;
      const factor = upscale === 'auto' ? autoFactor(cell.image) : upscale;
      return { image: factor === 1 ? cell.image : upscaleNearest(cell.image, factor), lines: labelLines(cell.label) };
    }),
  );
  const textBlockHeight = (lines: number): number => (lines === 0 ? 0 : ((lines - 1) * LINE_HEIGHT + GLYPH_HEIGHT) * s);
  const labelGap = 2 * s;
  const maxLabelLines = Math.max(0, ...images.flat().map((c) => c?.lines.length ?? 0));
  const labelHeight = options.labelHeight ?? (maxLabelLines > 0 ? labelGap + textBlockHeight(maxLabelLines) : 0);

  const colWidths = Array.from({ length: nCols }, (_, c) =>
    Math.max(
      0,
      ...images.map((row) => row[c]?.image.width ?? 0),
      ...images.map((row) => Math.max(0, ...(row[c]?.lines ?? []).map((l) => measureText(l, s).width))),
      columnHeaders?.[c] !== undefined ? measureText(columnHeaders[c]!, s).width : 0,
    ),
  );
  const rowImageHeights = images.map((row) => Math.max(0, ...row.map((c) => c?.image.height ?? 0)));
  const rowHeaderWidth = rowHeaders ? Math.max(0, ...rowHeaders.map((h) => measureText(h, s).width)) : 0;
  const columnHeaderHeight = columnHeaders
    ? textBlockHeight(Math.max(1, ...columnHeaders.map((h) => h.split('\n').length)))
    : 0;
  const titleSize = title ? measureText(title, s) : null;

  let top = padding;
  const titleRect = titleSize ? { x: 0, y: top, width: titleSize.width, height: titleSize.height } : null;
  if (titleSize) top += titleSize.height + padding;
  const headerTop = top;
  if (columnHeaders) top += columnHeaderHeight + padding;
  const rowYs: number[] = [];
  for (let r = 0; r < nRows; r++) {
    rowYs.push(top);
    top += rowImageHeights[r]! + labelHeight + padding;
  }
  let left = padding + (rowHeaders ? rowHeaderWidth + padding : 0);
  const colXs: number[] = [];
  for (let c = 0; c < nCols; c++) {
    colXs.push(left);
    left += colWidths[c]! + padding;
  }
  const width = Math.max(left, titleSize ? titleSize.width + 2 * padding : 0);
  const height = top;

  const canvas = createImage(width, height, 3, background);
  const layout: GridLayout = { cells: [], columnHeaders: [], rowHeaders: [], title: null };

  if (title && titleRect) {
    titleRect.x = Math.floor((width - titleRect.width) / 2);
    drawText(canvas, titleRect.x, titleRect.y, title, textColor, s);
    layout.title = titleRect;
  }
  columnHeaders?.forEach((header, c) => {
    const size = measureText(header, s);
    const x = colXs[c]! + Math.floor((colWidths[c]! - size.width) / 2);
    drawText(canvas, x, headerTop, header, textColor, s);
    layout.columnHeaders.push({ x, y: headerTop, ...size });
  });
  rowHeaders?.forEach((header, r) => {
    const size = measureText(header, s);
    const y = rowYs[r]! + Math.max(0, Math.floor((rowImageHeights[r]! - size.height) / 2));
    drawText(canvas, padding, y, header, textColor, s);
    layout.rowHeaders.push({ x: padding, y, ...size });
  });
  images.forEach((row, r) => {
    layout.cells.push(
      row.map((cell, c) => {
        if (!cell) return null;
        const { image, lines } = cell;
        const x = colXs[c]! + Math.floor((colWidths[c]! - image.width) / 2);
        const y = rowYs[r]! + Math.floor((rowImageHeights[r]! - image.height) / 2);
        blit(canvas, image, x, y);
        let ly = rowYs[r]! + rowImageHeights[r]! + labelGap;
        for (const line of lines) {
          const lw = measureText(line, s).width;
          drawText(canvas, colXs[c]! + Math.floor((colWidths[c]! - lw) / 2), ly, line, textColor, s);
          ly += LINE_HEIGHT * s;
        }
        return { x, y, width: image.width, height: image.height };
      }),
    );
  });
  return { ...canvas, layout };
}

export interface ColorBarOptions {
  /** Bar thickness (vertical: its width). Default 16. */
  width?: number;
  /** Bar length (vertical: its height). Default 128. */
  height?: number;
  /** Value at the colormap's first entry. Default 0. */
  min?: number;
  /** Value at the colormap's last entry. Default 1. */
  max?: number;
  /** About how many ticks, placed at round values (1, 2 or 5 × 10^k steps) inside [min, max]; or the tick values themselves. Default 5. */
  ticks?: number | number[];
  /** 'vertical' (default: max at the top, labels on the right) or 'horizontal' (min at the left, labels below). */
  orientation?: 'vertical' | 'horizontal';
  padding?: number;
  background?: Color;
  textColor?: Color;
  textScale?: number;
  /** Tick label text. Default: up to 3 significant digits. */
  format?: (value: number) => string;
}

export type ColorBarImage = RawImage & { bar: Rect; ticks: { value: number; label: string; at: number }[] };

/**
 * A colormap legend: the bar plus tick marks with numeric labels. `bar` tells where the gradient is;
 * each tick's `at` is its pixel row (vertical) or column (horizontal) in the returned image.
 */
export function colorBar(name: ColormapName | string, options: ColorBarOptions = {}): ColorBarImage {
  const {
    width: thickness = 16,
    height: length = 128,
    min = 0,
    max = 1,
    ticks = 5,
    orientation = 'vertical',
    padding = 4,
    background = WHITE,
    textColor = BLACK,
    textScale = 1,
    format = formatTick,
  } = options;
  if (!(max > min)) throw new LumenError('BAD_OPTION', `colorBar needs max > min, got [${min}, ${max}]`, 2);
  if (!(length >= 2 && thickness >= 1)) throw new LumenError('BAD_OPTION', `colorBar is too small: ${thickness}×${length}`, 2);
  const lut = colormap(name);
  const s = Math.max(1, Math.floor(textScale));
  const eps = (max - min) * 1e-9;
  const tickValues = (typeof ticks === 'number' ? niceTicks([min, max], Math.max(1, Math.floor(ticks))) : ticks).filter(
    (v) => v >= min - eps && v <= max + eps,
  );
  const labels = tickValues.map((v) => format(v));
  const labelWidths = labels.map((l) => measureText(l, s).width);
  const cap = CAP_HEIGHT * s;
  const tickLength = 3;
  const gap = 2;
  // Position along the bar (0 = min end) of a value.
  const offset = (v: number): number => Math.round(((v - min) / (max - min)) * (length - 1));
  const entryAt = (i: number): number => colormapIndex(i / (length - 1)) * 3;

  if (orientation === 'vertical') {
    const bar = { x: padding, y: padding + Math.ceil(cap / 2), width: thickness, height: length };
    const labelX = bar.x + thickness + tickLength + gap;
    const canvas = createImage(labelX + Math.max(0, ...labelWidths) + padding, bar.y + length + Math.ceil(cap / 2) + padding, 3, background);
    for (let i = 0; i < length; i++) {
      const k = entryAt(i);
      fillRect(canvas, bar.x, bar.y + length - 1 - i, thickness, 1, [lut[k]!, lut[k + 1]!, lut[k + 2]!]);
    }
    const placed = tickValues.map((value, t) => {
      const at = bar.y + length - 1 - offset(value);
      fillRect(canvas, bar.x + thickness, at, tickLength, 1, textColor);
      drawText(canvas, labelX, at - Math.floor(cap / 2), labels[t]!, textColor, s);
      return { value, label: labels[t]!, at };
    });
    return { ...canvas, bar, ticks: placed };
  }

  const firstHalf = Math.ceil((labelWidths[0] ?? 0) / 2);
  const lastHalf = Math.ceil((labelWidths[labelWidths.length - 1] ?? 0) / 2);
  const bar = { x: padding + firstHalf, y: padding, width: length, height: thickness };
  const labelY = bar.y + thickness + tickLength + gap;
  const canvas = createImage(bar.x + length + lastHalf + padding, labelY + cap + padding, 3, background);
  for (let i = 0; i < length; i++) {
    const k = entryAt(i);
    fillRect(canvas, bar.x + i, bar.y, 1, thickness, [lut[k]!, lut[k + 1]!, lut[k + 2]!]);
  }
  const placed = tickValues.map((value, t) => {
    const at = bar.x + offset(value);
    fillRect(canvas, at, bar.y + thickness, 1, tickLength, textColor);
    drawText(canvas, at - Math.floor(labelWidths[t]! / 2), labelY, labels[t]!, textColor, s);
    return { value, label: labels[t]!, at };
  });
  return { ...canvas, bar, ticks: placed };
}

/**
 * An image with a vertical color bar on its right, the bar as tall as the image allows (at least 32 pixels).
 * `options` are colorBar's (its `height` is ignored). Returns RGB.
 */
export function withColorBar(image: RawImage, name: ColormapName | string, options: ColorBarOptions = {}): RawImage {
  const padding = options.padding ?? 4;
  const textMargin = Math.ceil((CAP_HEIGHT * Math.max(1, Math.floor(options.textScale ?? 1))) / 2);
  const length = Math.max(32, image.height - 2 * (textMargin + padding));
  const bar = colorBar(name, { ...options, orientation: 'vertical', height: length });
  const canvas = createImage(image.width + bar.width, Math.max(image.height, bar.height), 3, options.background ?? WHITE);
  blit(canvas, image, 0, 0);
  blit(canvas, bar, image.width, 0);
  return canvas;
}

/** Up to 3 significant digits, no trailing zeros, no "-0". */
export function formatTick(value: number): string {
  if (value === 0 || Object.is(value, -0)) return '0';
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  return String(Number(value.toPrecision(3)));
}

function labelLines(label: string | string[] | undefined): string[] {
  if (label === undefined) return [];
  return (Array.isArray(label) ? label : [label]).flatMap((l) => l.split('\n'));
}

function autoFactor(image: RawImage): number {
  const longer = Math.max(image.width, image.height, 1);
  return Math.max(1, Math.ceil(AUTO_UPSCALE_TARGET / longer));
}
