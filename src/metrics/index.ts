/** Registers every metric; import this once (the CLI and the library entry do). */
import './faithfulness/deletion.js';
import './faithfulness/insertion.js';
import './faithfulness/road.js';
import './faithfulness/avg-drop.js';
import './faithfulness/pixel-flipping.js';
import './faithfulness/faithfulness-correlation.js';
import './faithfulness/infidelity.js';
import './robustness/sensitivity.js';
import './robustness/lipschitz.js';
import './randomization/model-randomization.js';
import './randomization/random-logit.js';
import './discrimination/class-discrimination.js';
import './localization/pointing-game.js';
import './localization/energy-pointing-game.js';
import './localization/relevance-mass.js';
import './localization/relevance-rank.js';
import './complexity/sparseness.js';
import './complexity/complexity.js';

export { registerMetric, getMetric, hasMetric, listMetrics } from './registry.js';
export { evaluate, DEFAULT_METRICS, type EvaluateOptions, type Evaluation } from './evaluate.js';
export { detailsOf } from './types.js';
export type { Box, Explainer, Metric, MetricCategory, MetricDetailsById, MetricContext, MetricDetails, MetricInfo, MetricResult, MetricScore, Region, ReExplain } from './types.js';
export { pearson, spearman, ranks, ssim, SKIMAGE_SSIM_DEFAULTS, gini, entropy, trapezoid, gaussianBlur, gaussianKernel, minMaxNormalize, Random } from './stats.js';
export { imputeLinear } from './faithfulness/road.js';
export { parameterLayers, randomizedModel } from './randomization/model-randomization.js';
export { formatComparison, formatEvaluation, formatMetricList } from './format.js';
export { parseMetricOptions, parseBoxes } from './options.js';
