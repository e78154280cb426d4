/**
 * "Spot the shortcut" synthetic dataset: 64×64 RGB images of one of five shapes on a textured
 * background, with an optional class-coding "watermark" marker in a fixed corner.
 *
 * Browser-safe (no Node built-ins). Everything is derived from (seed, index) through mulberry32 (src/random.ts),
 * so a sample is reproducible byte for byte on any platform. The shape, its colour and the background use one
 * random stream and the marker another, so the same (seed, index) rendered with
 * markerMode 'none', 'consistent' or 'swapped' gives the same picture except for the marker patch.
 */
import { mulberry32 } from '../random.js';

/** The dataset's generator (re-exported: tests and dev scripts seed it directly). */
export { mulberry32 };

export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'star', 'cross'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

export const SHAPE_IMAGE_SIZE = 64;

/** Pixel box [x0, y0, x1, y1]: x0/y0 inclusive, x1/y1 exclusive. */
export type Box = [number, number, number, number];

/** Where the marker sits (top-left corner, 6×6) whether or not it is drawn. */
export const MARKER_BOX: Box = [2, 2, 8, 8];

/** Shapes keep out of this corner region so they never touch the marker. */
const MARKER_KEEP_OUT: Box = [0, 0, 12, 12];

/** Marker interior colour per class (index = class). The 1-pixel border is always black. */
export const MARKER_COLOURS: readonly (readonly [number, number, number])[] = [
  [230, 25, 75], // circle: red
  [60, 180, 75], // square: green
  [0, 130, 200], // triangle: blue
  [255, 225, 25], // star: yellow
  [240, 50, 230], // cross: magenta
];

/**
 * none: no marker. consistent: the marker encodes the true class.
 * swapped: the marker encodes a different class (chosen at random). random: any class, uniformly.
 */
export type MarkerMode = 'none' | 'consistent' | 'swapped' | 'random';

export interface ShapeSampleOptions {
  markerMode?: MarkerMode;
  /** Force the class instead of drawing it at random. */
  label?: number;
}

export interface ShapeMarker {
  present: boolean;
  /** The marker location (MARKER_BOX), also reported when the marker is absent. */
  box: Box;
  /** Class the marker encodes, or null when absent. */
  classIndex: number | null;
  /** True when present and encoding the true label. */
  consistent: boolean;
}

export interface ShapeSample {
  /** HWC RGB, SHAPE_IMAGE_SIZE × SHAPE_IMAGE_SIZE × 3. */
  image: Uint8Array;
  width: number;
  height: number;
  label: number;
  className: ShapeClass;
  /** Tight bounding box of the mask. */
  box: Box;
  /** 1 where the shape covers at least half of the pixel, else 0 (H*W). */
  mask: Uint8Array;
  marker: ShapeMarker;
}

/** Mix several integers into one 32-bit seed (murmur3 finaliser style). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

type Rng = () => number;
type Point = [number, number];

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();
const randInt = (rng: Rng, n: number): number => Math.min(n - 1, Math.floor(rng() * n));

/** Unit-size outline (radius ~1 around the origin) of each polygonal shape; circle is handled analytically. */
function unitPolygon(shape: ShapeClass): Point[] {
  switch (shape) {
    case 'square':
      return [[-0.8, -0.8], [0.8, -0.8], [0.8, 0.8], [-0.8, 0.8]];
    case 'triangle':
      return [-90, 30, 150].map((deg) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]);
    case 'star': {
      const pts: Point[] = [];
      for (let i = 0; i < 10; i++) {
        const r = i % 2 === 0 ? 1 : 0.42;
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        pts.push([r * Math.cos(a), r * Math.sin(a)]);
      }
      return pts;
    }
    case 'cross': {
      const w = 0.3;
      return [[-w, -1], [w, -1], [w, -w], [1, -w], [1, w], [w, w], [w, 1], [-w, 1], [-w, w], [-1, w], [-1, -w], [-w, -w]];
    }
    case 'circle':
      return [];
  }
}

/** Even-odd point-in-polygon test. */
function insidePolygon(poly: readonly Point[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function boxesIntersect(a: Box, b: Box): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/** Smooth value noise on a coarse grid, one channel, values in [0, 1]. */
function valueNoise(rng: Rng, size: number, cells: number): Float32Array {
  const grid = new Float32Array((cells + 1) * (cells + 1));
  for (let i = 0; i < grid.length; i++) grid[i] = rng();
  const out = new Float32Array(size * size);
  const smooth = (t: number): number => t * t * (3 - 2 * t);
  for (let y = 0; y < size; y++) {
    const gy = ((y + 0.5) / size) * cells;
    const iy = Math.min(cells - 1, Math.floor(gy));
    const ty = smooth(gy - iy);
    for (let x = 0; x < size; x++) {
      const gx = ((x + 0.5) / size) * cells;
      const ix = Math.min(cells - 1, Math.floor(gx));
      const tx = smooth(gx - ix);
      const i00 = iy * (cells + 1) + ix; // (no helper closure here: this loop is hot)
      const i10 = i00 + cells + 1;
      const top = grid[i00]! * (1 - tx) + grid[i00 + 1]! * tx;
      const bottom = grid[i10]! * (1 - tx) + grid[i10 + 1]! * tx;
      out[y * size + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

const clampByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Background: a random base colour modulated by smooth noise and faint stripes. Float RGB, HWC. */
function renderBackground(rng: Rng, size: number): { pixels: Float32Array; mean: [number, number, number] } {
  const base: [number, number, number] = [uniform(rng, 40, 215), uniform(rng, 40, 215), uniform(rng, 40, 215)];
  const noiseAmp = uniform(rng, 15, 45);
  const noise = [valueNoise(rng, size, 4), valueNoise(rng, size, 4), valueNoise(rng, size, 4)];
  const stripeAngle = uniform(rng, 0, Math.PI);
  const stripePeriod = uniform(rng, 5, 14);
  const stripeAmp = uniform(rng, 0, 18);
  const stripePhase = uniform(rng, 0, 2 * Math.PI);
  const ca = Math.cos(stripeAngle);
  const sa = Math.sin(stripeAngle);
  const pixels = new Float32Array(size * size * 3);
  const mean: [number, number, number] = [0, 0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = stripeAmp * Math.sin(((x * ca + y * sa) / stripePeriod) * 2 * Math.PI + stripePhase);
      for (let c = 0; c < 3; c++) {
        const v = base[c]! + noiseAmp * (noise[c]![y * size + x]! - 0.5) * 2 + stripe;
        pixels[(y * size + x) * 3 + c] = v;
        mean[c] += v;
      }
    }
  }
  for (let c = 0; c < 3; c++) mean[c] /= size * size;
  return { pixels, mean };
}

/** A shape colour far enough (in RGB) from the background mean to be visible. */
function pickShapeColour(rng: Rng, bg: readonly number[]): [number, number, number] {
  for (;;) {
    const col: [number, number, number] = [uniform(rng, 0, 255), uniform(rng, 0, 255), uniform(rng, 0, 255)];
    const d = Math.hypot(col[0] - bg[0]!, col[1] - bg[1]!, col[2] - bg[2]!);
    if (d >= 110) return col;
  }
}

function drawMarker(image: Uint8Array, size: number, classIndex: number): void {
  const [x0, y0, x1, y1] = MARKER_BOX;
  const colour = MARKER_COLOURS[classIndex]!;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const border = x === x0 || y === y0 || x === x1 - 1 || y === y1 - 1;
      for (let c = 0; c < 3; c++) image[(y * size + x) * 3 + c] = border ? 0 : colour[c]!;
    }
  }
}

const SUPERSAMPLE = 4;

/** Render sample `index` of the dataset identified by `seed`. */
export function generateShapeSample(seed: number, index: number, options: ShapeSampleOptions = {}): ShapeSample {
  const size = SHAPE_IMAGE_SIZE;
  const markerMode = options.markerMode ?? 'none';
  const rng = mulberry32(mixSeed(seed, index, 1));
  const markerRng = mulberry32(mixSeed(seed, index, 2));

  const drawnLabel = randInt(rng, SHAPE_CLASSES.length);
  const label = options.label ?? drawnLabel;
  if (!Number.isInteger(label) || label < 0 || label >= SHAPE_CLASSES.length) {
    throw new RangeError(`shape label must be an integer in [0, ${SHAPE_CLASSES.length - 1}], got ${label}`);
  }
  const shape = SHAPE_CLASSES[label]!;

  const background = renderBackground(rng, size);
  const colour = pickShapeColour(rng, background.mean);
  const radius = uniform(rng, 9, 18);
  const angle = uniform(rng, 0, 2 * Math.PI);
  // Place the centre so the shape stays inside the image and out of the marker corner.
  let cx = 0;
  let cy = 0;
  for (;;) {
    cx = uniform(rng, radius + 2, size - radius - 2);
    cy = uniform(rng, radius + 2, size - radius - 2);
    const outer: Box = [Math.floor(cx - radius), Math.floor(cy - radius), Math.ceil(cx + radius), Math.ceil(cy + radius)];
    if (!boxesIntersect(outer, MARKER_KEEP_OUT)) break;
  }

  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const poly = unitPolygon(shape).map(([ux, uy]): Point => [cx + radius * (ux * cos - uy * sin), cy + radius * (ux * sin + uy * cos)]);
  const inside = (x: number, y: number): boolean =>
    shape === 'circle' ? (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius : insidePolygon(poly, x, y);

  const image = new Uint8Array(size * size * 3);
  const mask = new Uint8Array(size * size);
  const bx0 = Math.max(0, Math.floor(cx - radius - 1));
  const by0 = Math.max(0, Math.floor(cy - radius - 1));
  const bx1 = Math.min(size, Math.ceil(cx + radius + 1));
  const by1 = Math.min(size, Math.ceil(cy + radius + 1));
  const box: Box = [size, size, 0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let coverage = 0;
      if (x >= bx0 && x < bx1 && y >= by0 && y < by1) {
        let hits = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            if (inside(x + (sx + 0.5) / SUPERSAMPLE, y + (sy + 0.5) / SUPERSAMPLE)) hits++;
          }
        }
        coverage = hits / (SUPERSAMPLE * SUPERSAMPLE);
      }
      const p = y * size + x;
      for (let c = 0; c < 3; c++) {
        image[p * 3 + c] = clampByte(background.pixels[p * 3 + c]! * (1 - coverage) + colour[c]! * coverage);
      }
      if (coverage >= 0.5) {
        mask[p] = 1;
        if (x < box[0]) box[0] = x;
        if (y < box[1]) box[1] = y;
        if (x + 1 > box[2]) box[2] = x + 1;
        if (y + 1 > box[3]) box[3] = y + 1;
      }
    }
  }

  let markerClass: number | null = null;
  if (markerMode === 'consistent') markerClass = label;
  else if (markerMode === 'swapped') markerClass = (label + 1 + randInt(markerRng, SHAPE_CLASSES.length - 1)) % SHAPE_CLASSES.length;
  else if (markerMode === 'random') markerClass = randInt(markerRng, SHAPE_CLASSES.length);
  if (markerClass !== null) drawMarker(image, size, markerClass);

  return {
    image,
    width: size,
    height: size,
    label,
    className: shape,
    box,
    mask,
    marker: {
      present: markerClass !== null,
      box: [...MARKER_BOX],
      classIndex: markerClass,
      consistent: markerClass === label,
    },
  };
}

/** `count` consecutive samples (indices 0..count-1) of the dataset identified by `seed`. */
export function generateShapeSamples(seed: number, count: number, options: ShapeSampleOptions = {}): ShapeSample[] {
  const out: ShapeSample[] = [];
  for (let i = 0; i < count; i++) out.push(generateShapeSample(seed, i, options));
  return out;
}
