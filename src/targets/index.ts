/**
 * Targets: what a method explains. A spec (class, weights, output index, segmentation, detection, embedding) is
 * resolved once per batch into a seed over one model tensor and a transform; gradient methods seed their backward
 * graph with it, perturbation methods and metrics score outputs with `targetScores`: the same scalar everywhere.
 */
export * from './spec.js';
export * from './score.js';
export * from './resolve.js';
export * from './detection.js';
export * from './session.js';
export * from './mask.js';
export * from './predict.js';
