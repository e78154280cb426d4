import { LumenError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import type { Tensor } from '../tensor.js';
import type { InputLayout } from '../layout.js';
import { minMaxNormalize } from '../math/min-max.js';
import { resizeNearest, type Color } from './canvas.js';
import { colormapImage, type ColormapName } from './colormaps.js';
import { makeGrid, type GridCell, type GridLayout } from './grid.js';

export interface ActivationGridOptions {
  /** How many channels to show (those with the highest mean activation). Default 16. */
  topN?: number;
  /** Default 'viridis'. */
  colormap?: ColormapName | string;
  /** The longer side of each cell's map after nearest-neighbour upscaling. Default 64. */
  cellSize?: number;
  /** Cells per grid row. Default ceil(sqrt(N)). */
  columns?: number;
  padding?: number;
  background?: Color;
  textColor?: Color;
  textScale?: number;
  title?: string;
  /** Layout of the activation tensor. Default 'NCHW'. */
  layout?: InputLayout;
}

export type ActivationGridImage = RawImage & {
  /** The channel indices shown, in grid order (highest mean first). */
  shownChannels: number[];
  /** Mean activation of each shown channel. */
  means: number[];
  layout: GridLayout;
};

/**
 * Feature-map grid: the top-N channels of a [1,C,h,w] (or [C,h,w]) activation by mean value (ties: lower
 * index first), each min-max scaled on its own (a constant channel shows as the colormap's first colour),
 * coloured, upscaled and labelled with its channel index.
 */
export function activationGrid(activations: Tensor, options: ActivationGridOptions = {}): ActivationGridImage {
  const { topN = 16, colormap: name = 'viridis', cellSize = 64, padding = 4, layout = 'NCHW' } = options;
  let dims = activations.dims;
  if (dims.length === 4) {
    if (dims[0] !== 1) throw new LumenError('BAD_OPTION', `activationGrid takes one item, got a batch of ${dims[0]}`, 2);
    dims = dims.slice(1);
  }
  if (dims.length !== 3) {
    throw new LumenError('BAD_OPTION', `activations must be [1,C,h,w] or [C,h,w], got [${activations.dims.join(', ')}]`, 2);
  }
  const [channels, height, width] = (layout === 'NHWC' ? [dims[2], dims[0], dims[1]] : dims) as [number, number, number];
  const plane = width * height;
  const data = activations.data;
  const value = layout === 'NHWC' ? (c: number, p: number) => data[p * channels + c]! : (c: number, p: number) => data[c * plane + p]!;

  const means = Array.from({ length: channels }, (_, c) => {
    let sum = 0;
    for (let p = 0; p < plane; p++) sum += value(c, p);
    return sum / plane;
  });
  const order = means
    .map((m, c) => ({ m: Number.isNaN(m) ? -Infinity : m, c }))
    .sort((a, b) => b.m - a.m || a.c - b.c)
    .slice(0, Math.max(1, Math.min(topN, channels)))
    .map((e) => e.c);

  const scale = cellSize / Math.max(width, height);
  const cellW = Math.max(1, Math.round(width * scale));
  const cellH = Math.max(1, Math.round(height * scale));
  const cells: GridCell[] = order.map((c) => {
    const map = new Float32Array(plane);
    for (let p = 0; p < plane; p++) map[p] = value(c, p);
    minMaxNormalize(map, map);
    const image = resizeNearest(colormapImage(map, width, height, name), cellW, cellH);
    return { image, label: `ch ${c}` };
  });
  const columns = Math.max(1, options.columns ?? Math.ceil(Math.sqrt(cells.length)));
  const rows: GridCell[][] = [];
  for (let i = 0; i < cells.length; i += columns) rows.push(cells.slice(i, i + columns));
  const grid = makeGrid(rows, {
    padding,
    background: options.background,
    textColor: options.textColor,
    textScale: options.textScale,
    title: options.title,
  });
  return { ...grid, shownChannels: order, means: order.map((c) => means[c]!) };
}
