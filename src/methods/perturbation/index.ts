/**
 * The perturbation family: forward passes only, so it works on any model ONNX Runtime can run. Importing this module
 * registers occlusion, feature-ablation, lime, kernel-shap and rise.
 */
export { occlusion, occlusionInfo, occlusionGeometry } from './occlusion.js';
export { featureAblation, featureAblationInfo } from './feature-ablation.js';
export { lime, limeInfo, limeKernelWeights, weightedRidge, type WeightedRidge } from './lime.js';
export { kernelShap, kernelShapInfo, kernelShapCoalitions, solveShapley } from './kernel-shap.js';
export { rise, riseInfo, riseDefaults, RiseMasks } from './rise.js';
export { slic, gridSegments, compactLabels, segmentImage, displayImage, rgbToLab, type Segmentation, type SlicOptions } from './segmentation.js';
export { gaussianBlur, type HideMode } from './perturbation-run.js';
export { Rng } from '../../random.js';
