export { exportExplanation, exportableMethods, attributionOutput, EXPORTABLE_METHODS, TARGET_INPUT, TARGET_WEIGHTS_INPUT, type ExportOptions, type ExportedExplanation, type ExportedTensor } from './graph.js';
export { tritonConfig, type TritonOptions } from './triton.js';
