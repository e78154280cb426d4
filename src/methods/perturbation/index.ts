/** The perturbation family: forward passes only, so it works on any model ONNX Runtime can run. */
export { occlusion, occlusionInfo } from './occlusion.js';
export { slic, gridSegments, compactLabels, segmentImage, rgbToLab, type Segmentation, type SlicOptions } from './segmentation.js';
export { Rng } from './common.js';
