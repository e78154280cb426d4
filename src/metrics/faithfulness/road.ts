import { LumenError, throwIfCancelled } from '../../errors.js';
import { geometryOf, relevanceMap, scoreImages, scoreOriginal, type ImageGeometry } from '../image-scoring.js';
import { registerMetric } from '../registry.js';
import { mean } from '../stats.js';
import { buildHierarchy, solveSpd, stencilMatrix, vCycle } from '../sparse.js';
import { Random } from '../../random.js';
import type { Metric, RoadDetails } from '../types.js';

/**
 * Neighbour weights of the noisy linear imputation (Rong, Leemann et al. 2022, github:tleemann/road_evaluation,
 * as vendored in pytorch-grad-cam metrics/road.py): 1/6 for the 4 direct neighbours, 1/12 for the 4 diagonal ones.
 */
const NEIGHBOURS: readonly (readonly [dy: number, dx: number, weight: number])[] = [
  [1, 1, 1 / 12], [0, 1, 1 / 6], [-1, 1, 1 / 12], [1, -1, 1 / 12],
  [0, -1, 1 / 6], [-1, -1, 1 / 12], [1, 0, 1 / 6], [-1, 0, 1 / 6],
];

/**
 * Noisy linear imputation of the removed pixels of one H×W plane per channel: every removed pixel equals the
 * weighted mean of its in-image neighbours (known or removed), i.e. for removed pixel i
 *   (Σ_valid w_n)·x_i − Σ_{removed n} w_n·x_n = Σ_{known n} w_n·v_n,
 * a symmetric positive definite sparse system (when every group of removed pixels touches a known pixel),
 * solved by multigrid-preconditioned conjugate gradients (src/metrics/sparse.ts, relative residual 1e-10); then N(0, noise²) is added to the imputed values.
 * `planes` are the channel planes (row-major H×W each); returns new planes.
 */
export function imputeLinear(planes: readonly Float64Array[], height: number, width: number, removed: Uint8Array, noise = 0, random?: Random): Float64Array[] {
  const pixels = height * width;
  const unknownIndex = new Int32Array(pixels).fill(-1);
  const unknowns: number[] = [];
  for (let p = 0; p < pixels; p++) if (removed[p]) unknownIndex[p] = unknowns.push(p) - 1;
  const n = unknowns.length;
  const matrix = stencilMatrix(Int32Array.from(unknowns, (p) => Math.floor(p / width)), Int32Array.from(unknowns, (p) => p % width));
  const knownTerms: { row: number; pixel: number; weight: number }[] = [];
  for (let i = 0; i < n; i++) {
    const y = matrix.ys[i]!;
    const x = matrix.xs[i]!;
    let diagonal = 0;
    for (const [dy, dx, w] of NEIGHBOURS) {
      const ny = y + dy;
      const nx = x + dx;
      if (ny < 0 || nx < 0 || ny >= height || nx >= width) continue;
      diagonal += w;
      const q = ny * width + nx;
      const j = unknownIndex[q]!;
      if (j >= 0) {
        const slot = i * 9 + (dy + 1) * 3 + (dx + 1);
        matrix.cols[slot] = j;
        matrix.vals[slot] = -w;
      } else {
        knownTerms.push({ row: i, pixel: q, weight: w });
      }
    }
    matrix.cols[i * 9 + 4] = i;
    matrix.vals[i * 9 + 4] = diagonal;
  }
  const out = planes.map((plane) => Float64Array.from(plane));
  if (n === 0) return out;
  const hierarchy = buildHierarchy(matrix);
  planes.forEach((plane, c) => {
    const b = new Float64Array(n);
    for (const { row, pixel, weight } of knownTerms) b[row] += weight * plane[pixel]!;
    const { x } = solveSpd(matrix, b, (r) => vCycle(hierarchy, r));
    for (let i = 0; i < n; i++) out[c]![unknowns[i]!] = x[i]! + (noise > 0 && random ? random.gaussian(0, noise) : 0);
  });
  return out;
}

/** numpy.percentile with linear interpolation. */
export function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * pytorch-grad-cam's removal rule: MoRF at percentile q removes the pixels with map ≥ percentile(map, q) (≈ the
 * (100 − q)% most relevant); LeRF applies the same rule to the negated map (≈ the (100 − q)% least relevant).
 */
export function roadMask(map: ArrayLike<number>, q: number, order: 'morf' | 'lerf'): Uint8Array {
  const m = order === 'morf' ? Float64Array.from(map) : Float64Array.from(map, (v) => -v);
  const threshold = percentile(m, q);
  return Uint8Array.from(m, (v) => (v >= threshold ? 1 : 0));
}

function imputeImage(data: Float32Array, g: ImageGeometry, removed: Uint8Array, noise: number, random: Random): Float32Array {
  const planes = Array.from({ length: g.channels }, (_, c) => Float64Array.from({ length: g.pixels }, (_, p) => data[g.offset(c, p)]!));
  const filled = imputeLinear(planes, g.height, g.width, removed, noise, random);
  const out = new Float32Array(data.length);
  filled.forEach((plane, c) => plane.forEach((v, p) => (out[g.offset(c, p)] = v)));
  return out;
}

/**
 * ROAD (Rong et al. 2022 "A Consistent and Efficient Evaluation Strategy for Attribution Methods", ICML), as
 * pytorch-grad-cam's ROADCombined: remove pixels by MoRF and LeRF at percentiles 10…90, fill them by noisy linear
 * imputation, and report mean(LeRF change − MoRF change)/2 of the target's probability. Higher is better.
 */
export const road: Metric = registerMetric({
  info: {
    id: 'road',
    title: 'ROAD (MoRF/LeRF, noisy linear imputation)',
    category: 'faithfulness',
    higherIsBetter: true,
    summary: 'mean over percentiles of (Δp LeRF − Δp MoRF)/2, Δp = change of the target softmax probability after imputation; −0.5…0.5, higher is better. Details hold both curves.',
    passes: '1 + 2 × |percentiles| forward passes (default 19) + 2 × |percentiles| sparse solves',
    source: 'Rong et al. 2022 (ICML), ROAD; pytorch-grad-cam 1.5 metrics/road.py ROADCombined, NoisyLinearImputer(noise=0.01)',
    needsExplainer: false,
    needsRegions: false,
    options: [
      { name: 'noise', type: 'number', min: 0, default: 0.01, description: 'σ of the Gaussian noise added to imputed values (normalized input space)' },
      { name: 'percentiles', type: 'string', default: '10,20,30,40,50,60,70,80,90', description: 'Comma-separated percentiles q; MoRF removes map ≥ percentile q (≈ (100−q)% of pixels)' },
      { name: 'output', type: 'enum', choices: ['probability', 'logit'], default: 'probability', description: 'Score of the target class' },
    ],
  },
  async compute(ctx) {
    const g = geometryOf(ctx.input);
    const { noise, output } = ctx.options;
    const raw = ctx.options.percentiles;
    const percentiles = (Array.isArray(raw) ? raw : String(raw).split(',')).map(Number);
    if (percentiles.length === 0 || percentiles.some((q) => !(q > 0 && q < 100))) throw new LumenError('BAD_OPTION', `road: percentiles must be numbers in (0, 100), got ${String(raw)}`, 2);
    const map = relevanceMap(ctx.attribution, g);
    const random = new Random(ctx.seed);
    const jobs = percentiles.flatMap((q) => (['morf', 'lerf'] as const).map((order) => ({ q, order })));
    // Imputation of a large image takes a second or two per job: report it, let the event loop turn (browser UI,
    // abort events) and check the signal between jobs. Progress: jobs imputed, then images scored.
    const images: Float32Array[] = [];
    for (const { q, order } of jobs) {
      throwIfCancelled(ctx.signal, 'evaluation');
      images.push(imputeImage(ctx.input.data, g, roadMask(map, q, order), noise, random));
      ctx.progress(images.length, 2 * jobs.length);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const base = await scoreOriginal(ctx, output);
    const scores = await scoreImages(ctx, images.length, (i, out) => out.set(images[i]!), output, (done) => ctx.progress(jobs.length + done, 2 * jobs.length));
    const morf = percentiles.map((_, i) => scores[2 * i]! - base);
    const lerf = percentiles.map((_, i) => scores[2 * i + 1]! - base);
    const combined = percentiles.reduce((s, _, i) => s + (lerf[i]! - morf[i]!) / 2, 0) / percentiles.length;
    return {
      value: combined,
      details: { percentiles, morf, lerf, morfMean: mean(morf), lerfMean: mean(lerf), original: base } satisfies RoadDetails,
    };
  },
});
