import type { LumenModel } from '../model.js';
import type { Tensor } from '../tensor.js';
import type { ResolvedTargets, TargetBox } from '../targets/index.js';
import type { ExplainOptions, Explanation, OptionSpec, OptionValues, ProgressEvent } from '../methods/types.js';

export type MetricCategory = 'faithfulness' | 'robustness' | 'randomization' | 'discrimination' | 'localization' | 'complexity';

/** Anything that explains a batch: a registered method's `explain`, or a closed-form function in tests. */
export type Explainer = (model: LumenModel, input: Tensor, options: ExplainOptions) => Promise<Explanation>;

export interface MetricInfo {
  id: string;
  title: string;
  category: MetricCategory;
  /** Direction of `value`: true when a larger value means a more trustworthy explanation. */
  higherIsBetter: boolean;
  /** What `value` is, in one sentence (unit, range). */
  summary: string;
  /** Cost per image as a formula of the options, e.g. '1 + ceil(H·W / pixelsPerStep) forward passes'. */
  passes: string;
  /** The paper / library definition followed. */
  source: string;
  /** True when the metric re-runs the explainer (robustness, randomization, discrimination). */
  needsExplainer: boolean;
  /** True when the metric needs ground-truth regions (`regions`). */
  needsRegions: boolean;
  options: readonly OptionSpec[];
}

/** An axis-aligned box in input pixels: x0,y0 inclusive, x1,y1 exclusive (the targets' box). */
export type Box = TargetBox;

/** Ground truth for one image: boxes, or a binary mask of H·W values (non-zero = inside). */
export type Region = { boxes: readonly Box[] } | { mask: ArrayLike<number> };

/** Per-image extra numbers a metric reports (curves, per-layer scores, sub-scores). */
export type MetricDetails = Record<string, number | number[] | string | string[]>;

export interface MetricScore {
  value: number;
  details: MetricDetails;
}

/** Re-explain an input (optionally for another class or another model); returns the attribution [n,*,H,W]. */
export type ReExplain = (input: Tensor, request?: { target?: number | readonly number[]; model?: LumenModel }) => Promise<Tensor>;

/** Everything a metric gets for one image (`O`: its option values, typed from its declared list by `registerMetric`). */
export interface MetricContext<O extends Readonly<Record<string, unknown>> = Readonly<Record<string, unknown>>> {
  model: LumenModel;
  /** The image, [1, …] in the model's layout (normalized model input). */
  input: Tensor;
  /** The attribution being judged, [1,1,H,W] or [1,C,H,W]. */
  attribution: Tensor;
  /** Explained class (category, output index, detection class; -1 for an embedding target). */
  target: number;
  /**
   * This image's resolved target (one seed row) when it is not a class of a classifier's [N, K] output
   * (segmentation, detection, embedding, output index): perturbed copies are then scored with its scalar instead of
   * the class's probability or logit.
   */
  targets?: ResolvedTargets;
  /** Present when an explainer / method was given. */
  explain?: ReExplain;
  region?: Region;
  seed: number;
  batchSize: number;
  signal?: AbortSignal;
  progress: (done: number, total: number) => void;
  /**
   * The metric's own options, checked against its declared list and parsed once by `registerMetric` (flag text
   * converted, declared defaults applied; 'string' options as given), so a metric states no default of its own.
   */
  options: O;
}

/**
 * What a metric file hands to `registerMetric`: its info and a `compute` that reads its options typed from the declared
 * list (write it inline or `as const`; see `OptionValues` in src/methods/types.ts).
 */
export interface MetricDefinition<S extends readonly OptionSpec[]> {
  readonly info: MetricInfo & { options: S };
  compute(ctx: MetricContext<OptionValues<S>>): Promise<MetricScore>;
}

export interface Metric {
  readonly info: MetricInfo;
  /** Score one image. */
  compute(ctx: MetricContext): Promise<MetricScore>;
}

/** A metric's results for a batch of images. */
export interface MetricResult {
  metric: string;
  title: string;
  category: MetricCategory;
  higherIsBetter: boolean;
  /** Mean of `values` over the images (NaN entries skipped). */
  value: number;
  /** One value per image. */
  values: number[];
  details: MetricDetails[];
  ms: number;
}

export type { ProgressEvent };

/** Curve metrics (deletion, insertion, pixel-flipping): the target score at each fraction of perturbed pixels. */
export type CurveDetails = { curve: number[]; fractions: number[]; pixelsPerStep: number; baseline: string };
/** ROAD: score changes (perturbed − original) per percentile for both orders. */
export type RoadDetails = { percentiles: number[]; morf: number[]; lerf: number[]; morfMean: number; lerfMean: number; original: number };
export type AvgDropDetails = { original: number; masked: number; increase: number };
export type FaithfulnessCorrelationDetails = { runs: number; subsetSize: number };
export type InfidelityDetails = { normalized: number; sigma: number; samples: number };
/** Per-sample relative changes (sensitivity) or ratios (Lipschitz). */
export type SensitivityDetails = { samples: number[] };
export type LipschitzDetails = { ratios: number[] };
export type RandomizationDetails = { mode: string; layers: string[]; spearman: number[]; ssim: number[] };
/** random-logit and class-discrimination: the other class (−1 for a one-output model) and the rank correlation. */
export type OtherClassDetails = { otherClass: number; spearman: number };
export type PointingGameDetails = { maxX: number; maxY: number };
export type EnergyPointingGameDetails = { regionFraction: number };
export type RelevanceRankDetails = { regionPixels: number };
export type ComplexityDetails = { maximum: number };
export type NoDetails = Record<string, never>;

/** The `details` type of each built-in metric, for typed access with `detailsOf`. */
export interface MetricDetailsById {
  deletion: CurveDetails;
  insertion: CurveDetails;
  'pixel-flipping': CurveDetails;
  road: RoadDetails;
  'avg-drop': AvgDropDetails;
  'increase-in-confidence': AvgDropDetails;
  'faithfulness-correlation': FaithfulnessCorrelationDetails;
  infidelity: InfidelityDetails;
  'max-sensitivity': SensitivityDetails;
  'avg-sensitivity': SensitivityDetails;
  lipschitz: LipschitzDetails;
  randomization: RandomizationDetails;
  'random-logit': OtherClassDetails;
  'class-discrimination': OtherClassDetails;
  'pointing-game': PointingGameDetails;
  'energy-pointing-game': EnergyPointingGameDetails;
  'relevance-mass': NoDetails;
  'relevance-rank': RelevanceRankDetails;
  sparseness: NoDetails;
  complexity: ComplexityDetails;
}

/** The per-image details of a result, typed by metric id (throws if the result is another metric's). */
export function detailsOf<K extends keyof MetricDetailsById>(result: MetricResult, id: K): MetricDetailsById[K][] {
  if (result.metric !== id) throw new Error(`detailsOf: result is '${result.metric}', not '${id}'`);
  return result.details as unknown as MetricDetailsById[K][];
}
