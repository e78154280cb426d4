/**
 * "Spot the shortcut" benchmark: does an explanation method reveal that a model reads a class-coding
 * marker instead of the object? For every method it scores the maps against the object box and against
 * the marker box (known by construction), and optionally how faithful (deletion/insertion) and how
 * stable under weight randomization the maps are. Browser-safe: the caller provides the images as tensors.
 */
import '../metrics/index.js'; // registers the metrics used below
import type { Box as PixelBox } from '../datasets/shapes.js';
import { LumenError } from '../errors.js';
import { getMethod } from '../methods/registry.js';
import type { Explanation, Method, MethodFamily } from '../methods/types.js';
import { evaluate } from '../metrics/evaluate.js';
import type { Region } from '../metrics/types.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { toMetricBox } from './split.js';

export interface ShortcutItem {
  /** Name used in tables and to pick examples (e.g. the file name). */
  id: string;
  /** The image as model input, [1, C, H, W] (or NHWC), normalized. */
  input: Tensor;
  /** True class. */
  label: number;
  /** Object box [x0, y0, x1, y1] in input pixels, x1/y1 exclusive. */
  objectBox: PixelBox;
  /** Present when the image carries the marker. */
  marker?: { box: PixelBox; classIndex: number; consistent: boolean };
}

export interface ShortcutFaithfulnessOptions {
  /** Score deletion and insertion on the first `images` items (default all). */
  images?: number;
  /** Pixels per deletion/insertion step (default the metric's, ⌈P/100⌉). */
  pixelsPerStep?: number;
}

export interface ShortcutRandomizationOptions {
  /** Run the cascading randomization check on the first `images` items (default 5). */
  images?: number;
  /** Randomize only the top-most N learnable layers (default all). */
  maxLayers?: number;
}

export interface ShortcutBenchmarkOptions {
  /** Methods (ids or objects) to compare. */
  methods: readonly (Method | string)[];
  /** Which class to explain: the model's prediction (default) or the true label. */
  target?: 'top1' | 'label';
  /** Per method id: options passed to `explain` (steps, numMasks, layer, …). */
  methodOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Also score deletion/insertion AUC (costs ≈ 2 × 101 forward passes per image). */
  faithfulness?: boolean | ShortcutFaithfulnessOptions;
  /** Also run the model-randomization sanity check (mean Spearman, cascading). */
  randomization?: boolean | ShortcutRandomizationOptions;
  /** Keep the attributions of these item ids (for overlays). */
  keepAttributions?: readonly string[];
  /**
   * Pointing-game hit radius in pixels (default 3). A coarse CAM (8×8 for a 64×64 input) upsampled bilinearly has a
   * flat top; ties go to the first pixel in row-major order, so a map peaking on the corner marker [2, 8) would
   * "point" at (0, 0), 2.8 px away from it.
   */
  pointingTolerance?: number;
  /** Images per explain call (default 20). */
  batchSize?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Called after each method with the finished row. */
  onMethod?: (row: ShortcutMethodRow, done: number, total: number) => void;
}

/** Scores of one method on one image. */
export interface ShortcutImageScores {
  id: string;
  /** The explained class. */
  target: number;
  objectPointing: number;
  objectMass: number;
  /** Absent when the image has no marker. */
  markerPointing?: number;
  markerMass?: number;
  /** (marker mass / marker area) / (object mass / object area); absent without a marker, NaN when both are 0. */
  densityRatio?: number;
}

export interface ShortcutRegionScores {
  /** Fraction of images whose most relevant pixel lies in the region (pointing game). */
  pointingGame: number;
  /** Mean share of the positive relevance inside the region (relevance mass accuracy). */
  relevanceMass: number;
}

export interface ShortcutMethodRow {
  method: string;
  title: string;
  family: MethodFamily;
  images: number;
  markerImages: number;
  /** Against the object boxes, over all images. */
  object: ShortcutRegionScores;
  /** Against the marker boxes, over the marker-bearing images (null when there are none). */
  marker: ShortcutRegionScores | null;
  /** Object scores over the marker-bearing images only (the fair comparison with `marker`). */
  objectOnMarkerImages: ShortcutRegionScores | null;
  /** Fraction of marker-bearing images where relevance mass on the marker exceeds that on the object. */
  markerBeatsObject: number | null;
  /**
   * Fraction of marker-bearing images where the relevance per pixel is higher in the marker box than in the object
   * box (mass / box area): the area-fair version of `markerBeatsObject` (the 6×6 marker is ~10× smaller than a shape).
   */
  markerDenser: number | null;
  /** Deletion AUC (lower = more faithful) and insertion AUC (higher = more faithful), when requested. */
  deletion?: number;
  insertion?: number;
  faithfulnessImages?: number;
  /** Mean Spearman between the map and the map after cascading randomization (lower = passes the check). */
  randomization?: number;
  /** Per-layer Spearman (top layer first), averaged over the images. */
  randomizationCurve?: { layers: string[]; spearman: number[] };
  randomizationImages?: number;
  /** Wall-clock explanation time per image, including graph compilation. */
  msPerImage: number;
  perImage: ShortcutImageScores[];
  /** Kept attributions ([1, …] each), by item id. */
  attributions: Record<string, Tensor>;
  /** Set when the method failed; the scores are then NaN. */
  error?: string;
}

export interface ShortcutModelSummary {
  images: number;
  /** Top-1 accuracy against the true labels. */
  accuracy: number;
  /** Accuracy on images whose marker agrees with the label (null when there are none). */
  consistentAccuracy: number | null;
  /** Accuracy on images whose marker encodes another class. */
  swappedAccuracy: number | null;
  /** On swapped-marker images: fraction predicted as the marker's class (≈1 for a shortcut model). */
  followsMarker: number | null;
  predictions: number[];
}

export interface ShortcutBenchmarkResult {
  summary: ShortcutModelSummary;
  rows: ShortcutMethodRow[];
}

/** Pointing-game tolerance used unless the caller sets one (see `pointingTolerance`). */
export const DEFAULT_POINTING_TOLERANCE = 3;

const mean = (xs: readonly number[]): number => {
  const finite = xs.filter((x) => Number.isFinite(x));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
};

/** Predictions of the model on the items, and how often it follows the marker instead of the shape. */
export async function summarizeModel(model: LumenModel, items: readonly ShortcutItem[], batchSize = 50): Promise<ShortcutModelSummary> {
  const predictions: number[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    const chunk = items.slice(start, start + batchSize);
    const { logits } = await model.forward(Tensor.concat(chunk.map((it) => it.input)));
    const k = logits.dims[1]!;
    for (let i = 0; i < chunk.length; i++) {
      const row = logits.data.subarray(i * k, (i + 1) * k);
      let best = 0;
      for (let j = 1; j < k; j++) if (row[j]! > row[best]!) best = j;
      predictions.push(best);
    }
  }
  const correct = items.map((it, i) => (predictions[i] === it.label ? 1 : 0));
  const consistent = items.flatMap((it, i) => (it.marker?.consistent ? [correct[i]!] : []));
  const swapped = items.flatMap((it, i) => (it.marker && !it.marker.consistent ? [i] : []));
  const orNull = (xs: readonly number[]): number | null => (xs.length ? mean(xs) : null);
  return {
    images: items.length,
    accuracy: mean(correct),
    consistentAccuracy: orNull(consistent),
    swappedAccuracy: orNull(swapped.map((i) => correct[i]!)),
    followsMarker: orNull(swapped.map((i) => (predictions[i] === items[i]!.marker!.classIndex ? 1 : 0))),
    predictions,
  };
}

/** Run every method on the items and score its maps against the object and the marker. */
export async function runShortcutBenchmark(model: LumenModel, items: readonly ShortcutItem[], options: ShortcutBenchmarkOptions): Promise<ShortcutBenchmarkResult> {
  if (items.length === 0) throw new LumenError('BAD_OPTION', 'the shortcut benchmark needs at least one image', 2);
  const summary = await summarizeModel(model, items);
  const methods = options.methods.map((m) => (typeof m === 'string' ? getMethod(m) : m));
  const rows: ShortcutMethodRow[] = [];
  for (const method of methods) {
    let row: ShortcutMethodRow;
    try {
      row = await benchmarkMethod(model, items, method, summary.predictions, options);
    } catch (e) {
      if (options.signal?.aborted) throw e;
      row = failedRow(method, items, e instanceof Error ? e.message : String(e));
    }
    rows.push(row);
    options.onMethod?.(row, rows.length, methods.length);
  }
  return { summary, rows };
}

async function benchmarkMethod(
  model: LumenModel,
  items: readonly ShortcutItem[],
  method: Method,
  predictions: readonly number[],
  options: ShortcutBenchmarkOptions,
): Promise<ShortcutMethodRow> {
  const id = method.info.id;
  const seed = options.seed ?? 0;
  const batchSize = Math.max(1, options.batchSize ?? 20);
  const methodOptions = options.methodOptions?.[id] ?? {};
  const targets = items.map((it, i) => ((options.target ?? 'top1') === 'label' ? it.label : predictions[i]!));
  const keep = new Set(options.keepAttributions ?? []);

  const perImage: ShortcutImageScores[] = [];
  const attributions: Record<string, Tensor> = {};
  const explanations: Explanation[] = [];
  let explainMs = 0;
  for (let start = 0; start < items.length; start += batchSize) {
    const chunk = items.slice(start, start + batchSize);
    const input = Tensor.concat(chunk.map((it) => it.input));
    const t0 = performance.now();
    const explanation = await method.explain(model, input, { ...methodOptions, target: targets.slice(start, start + chunk.length), seed, batchSize: 32, signal: options.signal });
    explainMs += performance.now() - t0;
    explanations.push(explanation);

    const objectRegions: Region[] = chunk.map((it) => ({ boxes: [toMetricBox(it.objectBox)] }));
    // Images without a marker still get the marker location; their marker scores are dropped below.
    const markerRegions: Region[] = chunk.map((it) => ({ boxes: [toMetricBox(it.marker?.box ?? it.objectBox)] }));
    const metrics = ['pointing-game', 'relevance-mass'];
    const metricOptions = { 'pointing-game': { tolerance: options.pointingTolerance ?? DEFAULT_POINTING_TOLERANCE } };
    const onObject = await evaluate(model, input, { explanation, metrics, metricOptions, regions: objectRegions, seed, signal: options.signal });
    const onMarker = await evaluate(model, input, { explanation, metrics, metricOptions, regions: markerRegions, seed, signal: options.signal });
    const [objPg, objMass] = onObject.results;
    const [mkPg, mkMass] = onMarker.results;
    chunk.forEach((it, i) => {
      const scores: ShortcutImageScores = { id: it.id, target: explanation.targets[i]!, objectPointing: objPg!.values[i]!, objectMass: objMass!.values[i]! };
      if (it.marker) {
        scores.markerPointing = mkPg!.values[i]!;
        scores.markerMass = mkMass!.values[i]!;
        scores.densityRatio = scores.markerMass / boxArea(it.marker.box) / (scores.objectMass / boxArea(it.objectBox));
      }
      perImage.push(scores);
      if (keep.has(it.id)) attributions[it.id] = explanation.attribution.item(i).clone();
    });
  }

  const withMarker = perImage.filter((s) => s.markerMass !== undefined);
  const row: ShortcutMethodRow = {
    method: id,
    title: method.info.title,
    family: method.info.family,
    images: items.length,
    markerImages: withMarker.length,
    object: { pointingGame: mean(perImage.map((s) => s.objectPointing)), relevanceMass: mean(perImage.map((s) => s.objectMass)) },
    marker: withMarker.length ? { pointingGame: mean(withMarker.map((s) => s.markerPointing!)), relevanceMass: mean(withMarker.map((s) => s.markerMass!)) } : null,
    objectOnMarkerImages: withMarker.length
      ? { pointingGame: mean(withMarker.map((s) => s.objectPointing)), relevanceMass: mean(withMarker.map((s) => s.objectMass)) }
      : null,
    markerBeatsObject: withMarker.length ? mean(withMarker.map((s) => (s.markerMass! > s.objectMass ? 1 : 0))) : null,
    // a flat map gives a ratio of 1 up to rounding; count only a clear excess
    markerDenser: withMarker.length ? mean(withMarker.map((s) => (s.densityRatio! > 1 + 1e-6 ? 1 : 0))) : null,
    msPerImage: explainMs / items.length,
    perImage,
    attributions,
  };

  if (options.faithfulness) {
    const f = options.faithfulness === true ? {} : options.faithfulness;
    const n = Math.min(items.length, f.images ?? items.length);
    const subset = explanationSubset(explanations, n, id);
    const input = Tensor.concat(items.slice(0, n).map((it) => it.input));
    const stepOptions = f.pixelsPerStep ? { pixelsPerStep: f.pixelsPerStep } : {};
    const evaluation = await evaluate(model, input, {
      explanation: subset,
      metrics: ['deletion', 'insertion'],
      metricOptions: { deletion: stepOptions, insertion: stepOptions },
      seed,
      batchSize: 64,
      signal: options.signal,
    });
    row.deletion = evaluation.results[0]!.value;
    row.insertion = evaluation.results[1]!.value;
    row.faithfulnessImages = n;
  }

  if (options.randomization) {
    const r = options.randomization === true ? {} : options.randomization;
    const n = Math.min(items.length, r.images ?? 5);
    const input = Tensor.concat(items.slice(0, n).map((it) => it.input));
    const evaluation = await evaluate(model, input, {
      method,
      explanation: explanationSubset(explanations, n, id),
      metrics: ['randomization'],
      methodOptions,
      metricOptions: r.maxLayers ? { randomization: { maxLayers: r.maxLayers } } : {},
      seed,
      signal: options.signal,
    });
    const result = evaluation.results[0]!;
    row.randomization = result.value;
    row.randomizationImages = n;
    const details = result.details as { layers?: string[]; spearman?: number[] }[];
    const layers = details[0]?.layers ?? [];
    row.randomizationCurve = { layers, spearman: layers.map((_, l) => mean(details.map((d) => d.spearman?.[l] ?? NaN))) };
  }
  return row;
}

const boxArea = ([x0, y0, x1, y1]: PixelBox): number => Math.max(0, x1 - x0) * Math.max(0, y1 - y0);

/** The first n images of the per-batch explanations, as one explanation. */
function explanationSubset(explanations: readonly Explanation[], n: number, method: string): Explanation {
  const parts: Tensor[] = [];
  const targets: number[] = [];
  for (const e of explanations) {
    const count = e.attribution.dims[0] ?? 1;
    for (let i = 0; i < count && parts.length < n; i++) {
      parts.push(e.attribution.item(i));
      targets.push(e.targets[i]!);
    }
  }
  return { method, attribution: Tensor.concat(parts), targets, extras: {}, timings: { compileMs: 0, runMs: 0 } };
}

function failedRow(method: Method, items: readonly ShortcutItem[], error: string): ShortcutMethodRow {
  const nan: ShortcutRegionScores = { pointingGame: NaN, relevanceMass: NaN };
  return {
    method: method.info.id,
    title: method.info.title,
    family: method.info.family,
    images: items.length,
    markerImages: items.filter((it) => it.marker).length,
    object: nan,
    marker: nan,
    objectOnMarkerImages: nan,
    markerBeatsObject: NaN,
    markerDenser: NaN,
    msPerImage: NaN,
    perImage: [],
    attributions: {},
    error,
  };
}
