/** Visualization: colormaps, CAM/attribution overlays, bitmap text, grids, legends and SVG charts. Node and browser. */
export type { RawImage, Color } from './canvas.js';
export {
  BLACK,
  WHITE,
  blit,
  colorFor,
  createImage,
  fill,
  fillRect,
  getPixel,
  resizeNearest,
  setPixel,
  toRgbImage,
  upscaleNearest,
} from './canvas.js';
export type { ApplyColormapOptions, ColormapName } from './colormaps.js';
export {
  COLORMAP_NAMES,
  DIVERGING_COLORMAPS,
  applyColormap,
  colormap,
  colormapImage,
  colormapIndex,
  isColormapName,
} from './colormaps.js';
export type {
  AttributionMap,
  AttributionReduce,
  AttributionToMapOptions,
  BlendSignedOptions,
  FloatImage,
  MapLike,
  MaskTopOptions,
  ShowCamOptions,
} from './overlay.js';
export { REDUCTIONS, attributionToMap, blendSigned, cumulativeSumThreshold, maskTopPercent, showCamOnImage } from './overlay.js';
export type { DisplayMap, DisplayScale, DisplaySource, RenderOverlayOptions } from './display.js';
export { displayMap, renderOverlay, upscaleForView, viewScale } from './display.js';
export { CAP_HEIGHT, CHAR_ADVANCE, FONT_CHARACTERS, GLYPH_HEIGHT, GLYPH_WIDTH, LINE_HEIGHT, drawText, measureText } from './text.js';
export type { ColorBarImage, ColorBarOptions, GridCell, GridImage, GridLayout, GridOptions, Rect } from './grid.js';
export { colorBar, formatTick, makeGrid, withColorBar } from './grid.js';
export type { ActivationGridImage, ActivationGridOptions } from './activations.js';
export { activationGrid } from './activations.js';
export type { ChartSeries, LineChartOptions } from './chart.js';
export { lineChartSvg, niceTicks } from './chart.js';
export { conceptColors, factorizationImage, withLegend, type FactorizationImageOptions } from './concepts.js';
export { CLASS_PALETTE, classColor, classMapImage } from './class-map.js';
