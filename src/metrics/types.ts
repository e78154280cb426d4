import type { LumenModel } from '../model.js';
import type { Tensor } from '../tensor.js';
import type { ExplainOptions, Explanation, OptionSpec, ProgressEvent } from '../methods/types.js';

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

/** An axis-aligned box in input pixels: x0,y0 inclusive, x1,y1 exclusive. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

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

/** Everything a metric gets for one image. */
export interface MetricContext {
  model: LumenModel;
  /** The image, [1, …] in the model's layout (normalized model input). */
  input: Tensor;
  /** The attribution being judged, [1,1,H,W] or [1,C,H,W]. */
  attribution: Tensor;
  /** Explained class. */
  target: number;
  /** Present when an explainer / method was given. */
  explain?: ReExplain;
  region?: Region;
  seed: number;
  batchSize: number;
  signal?: AbortSignal;
  progress: (done: number, total: number) => void;
  /** Metric-specific options (validated by the metric). */
  options: Readonly<Record<string, unknown>>;
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
