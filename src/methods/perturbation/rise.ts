/**
 * RISE (Petsiuk, Das & Saenko 2018): N random binary grids of s×s cells (each cell kept with probability p),
 * bilinearly upsampled to (s+1)·cell pixels (cell = ceil(H/s) × ceil(W/s)), shifted by a random offset in
 * [0, cell) and cropped to H×W, as the authors' code does (skimage resize, order 1, mode 'reflect'). The masked image
 * is baseline + mask·(x − baseline) (baseline 0 = the authors' x ⊙ mask in normalized space), and
 * saliency = Σ_i score_i · mask_i / (N · p).
 *
 * Defaults: N = 4000, s = 7, p = 0.5 for inputs whose shorter side is ≥ 112 px (the paper's 224-px setting). For
 * smaller inputs s = clamp(round(shorter side / 16), 3, 7) (cells of about 16 px or more) and
 * N = 4000 · s² / 49 rounded up to a multiple of 100 (the same number of masks per cell): 28 px → s 3, N 800;
 * 64 px → s 4, N 1400.
 */
import type { LumenModel } from '../../model.js';
import type { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionValues } from '../types.js';
import { PerturbationRun } from './perturbation-run.js';
import { checkLimit } from '../validate.js';
import { Rng } from '../../random.js';
import { mirrorIndex } from '../../image/blur.js';
import { familyInfo } from '../family.js';
import { batchSizeOption, seedOption } from '../common-options.js';

export const riseInfo = familyInfo('perturbation', {
  id: 'rise',
  aliases: ['random-input-sampling'],
  title: 'RISE',
  summary: 'Average of random smooth masks weighted by the explained score of the masked image: pixels whose presence tends to raise the score get high saliency.',
  output: 'map',
  // Scores are logits by default, which can be negative, so the saliency can be too.
  cost: 'numMasks forward passes per image (default 4000 at ≥ 112 px; 1400 at 64 px; 800 at 28 px)',
  reference: 'Petsiuk et al. 2018 (authors’ explanations.py: generate_masks and the saliency formula)',
  caveat: 'RISE is a Monte-Carlo estimate: more masks give smoother, more stable maps.',
  options: [
    { name: 'numMasks', type: 'integer', min: 1, description: 'Number of random masks N (default 4000 for ≥ 112-px inputs, scaled as 4000·s²/49 below).' },
    { name: 'gridSize', type: 'integer', min: 1, description: 'Cells per side s of the low-resolution grid (default 7 for ≥ 112-px inputs, clamp(round(shorter side/16), 3, 7) below).' },
    // a cell is kept when a uniform draw on the 2⁻⁵³ grid (Rng.next) is below p: a smaller p would be drawn as 2⁻⁵³
    { name: 'keepProbability', type: 'number', default: 0.5, min: 2 ** -53, max: 1, description: 'Probability p that a grid cell is kept (from 2⁻⁵³, the resolution of the random draw).' },
    { name: 'baselines', type: 'number', default: 0, description: 'Value masked pixels blend towards, in the normalized input space.' },
    seedOption('Seed of the random masks (same seed ⇒ identical result).'),
    batchSizeOption(32, 'Masked images per forward pass.'),
  ],
});

/** The default (s, N) for an H×W input (see the module comment). */
export function riseDefaults(height: number, width: number): { gridSize: number; numMasks: number } {
  const short = Math.min(height, width);
  if (short >= 112) return { gridSize: 7, numMasks: 4000 };
  const s = Math.min(7, Math.max(3, Math.round(short / 16)));
  return { gridSize: s, numMasks: Math.ceil((4000 * s * s) / 49 / 100) * 100 };
}

/**
 * Linear-interpolation table for resizing n cells to `size` samples with half-pixel centres and mirror
 * ("reflect" in skimage) borders: sample i = (1 − frac[i])·cell[lo[i]] + frac[i]·cell[hi[i]].
 */
function interpolationTable(n: number, size: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(size);
  const hi = new Int32Array(size);
  const frac = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const src = ((i + 0.5) * n) / size - 0.5;
    const f = Math.floor(src);
    lo[i] = mirrorIndex(f, n);
    hi[i] = mirrorIndex(f + 1, n);
    frac[i] = src - f;
  }
  return { lo, hi, frac };
}

/** Generates the masks one at a time, in a fixed order from the seed (independent of batch size). */
export class RiseMasks {
  private readonly rows: ReturnType<typeof interpolationTable>;
  private readonly cols: ReturnType<typeof interpolationTable>;
  private readonly cellH: number;
  private readonly cellW: number;
  private readonly grid: Float64Array;
  private readonly rowMix: Float64Array;

  constructor(
    readonly height: number,
    readonly width: number,
    readonly gridSize: number,
    readonly keepProbability: number,
    private readonly rng: Rng,
  ) {
    this.cellH = Math.ceil(height / gridSize);
    this.cellW = Math.ceil(width / gridSize);
    this.rows = interpolationTable(gridSize, (gridSize + 1) * this.cellH);
    this.cols = interpolationTable(gridSize, (gridSize + 1) * this.cellW);
    this.grid = new Float64Array(gridSize * gridSize);
    this.rowMix = new Float64Array(gridSize);
  }

  /** Draw the next mask into `out` (H·W values in [0,1]). */
  next(out: Float32Array): void {
    const s = this.gridSize;
    for (let i = 0; i < s * s; i++) this.grid[i] = this.rng.next() < this.keepProbability ? 1 : 0;
    const dy = this.rng.int(this.cellH);
    const dx = this.rng.int(this.cellW);
    this.render(this.grid, dy, dx, out);
  }

  /** The mask of an s×s `grid` (row-major) shifted by (dy, dx): upsample to (s+1)·cell, crop at the shift. */
  render(grid: ArrayLike<number>, dy: number, dx: number, out: Float32Array): void {
    const s = this.gridSize;
    const { lo: rlo, hi: rhi, frac: rf } = this.rows;
    const { lo: clo, hi: chi, frac: cf } = this.cols;
    const W = this.width;
    const mix = this.rowMix; // a local: this runs for every pixel of every mask
    for (let y = 0; y < this.height; y++) {
      const r = y + dy;
      const a = rlo[r]! * s;
      const b = rhi[r]! * s;
      const t = rf[r]!;
      // Interpolate the two grid rows first, then along x.
      for (let j = 0; j < s; j++) mix[j] = (1 - t) * grid[a + j]! + t * grid[b + j]!;
      const o = y * W;
      for (let x = 0; x < W; x++) {
        const c = x + dx;
        const u = cf[c]!;
        out[o + x] = (1 - u) * mix[clo[c]!]! + u * mix[chi[c]!]!;
      }
    }
  }
}

/** sal += Σ_i scores[i]·mask_i over the first n masks of `masks` (P values each), mask by mask in order. */
function accumulate(sal: Float64Array, masks: Float32Array, scores: Float64Array, n: number, P: number): void {
  // a small function of its own: V8 optimizes it on its own instead of inside the long async explain loop
  for (let i = 0; i < n; i++) {
    const sc = scores[i]!;
    const o = i * P;
    for (let q = 0; q < P; q++) sal[q] = sal[q]! + sc * masks[o + q]!;
  }
}

/** RISE's option values, as `explain` receives them (the ONNX export parses its options into these too). */
export type RiseOptions = ExplainOptions & OptionValues<typeof riseInfo.options>;

/**
 * RISE's settings for an H×W input from its option values (also read by the ONNX export, src/export): the defaults
 * that depend on the input, and the limits beyond the declared ones (a grid no finer than the image).
 */
export function riseSettings(options: RiseOptions, height: number, width: number, who = 'rise.explain'): { numMasks: number; gridSize: number; p: number; baseline: number } {
  const defaults = riseDefaults(height, width);
  return {
    numMasks: options.numMasks ?? defaults.numMasks,
    gridSize: checkLimit(who, 'gridSize', options.gridSize ?? defaults.gridSize, 1, Math.min(height, width)),
    p: options.keepProbability,
    baseline: options.baselines,
  };
}

async function explainRise(model: LumenModel, input: Tensor, options: RiseOptions): Promise<Explanation> {
  const run = await PerturbationRun.start(model, input, options);
  const first = run.images[0]!;
  const { numMasks, gridSize, p, baseline } = riseSettings(options, first.height, first.width);
  run.plan(numMasks * run.images.length);
  const rng = new Rng(options.seed);

  const maps: Float32Array[] = [];
  for (const image of run.images) {
    const { pixels: P } = image;
    const masks = new RiseMasks(image.height, image.width, gridSize, p, rng);
    const sal = new Float64Array(P);
    // baseline + mask ⊙ (image − baseline), composited in the graph; Σ score·mask accumulated batch by batch
    await run.scoreMasks(image, numMasks, (_, out) => masks.next(out), {
      baseline,
      mode: 'blend',
      stage: 'rise',
      onBatch: (batchMasks, scores) => accumulate(sal, batchMasks, scores, scores.length, P),
    });
    const map = new Float32Array(P);
    const norm = 1 / (numMasks * p);
    for (let q = 0; q < P; q++) map[q] = sal[q]! * norm;
    maps.push(map);
  }
  return run.finish('rise', maps, 1, { numMasks, gridSize, keepProbability: p });
}

export const rise: Method = registerMethod({ info: riseInfo, explain: explainRise });
