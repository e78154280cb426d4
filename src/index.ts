/**
 * Lumen's Node.js entry: everything in the browser entry plus files (models, images, .npy), onnxruntime-node,
 * batch runs and the conformance runner. Importing it registers every method family (through ./api.js).
 */
export * from './api.js';
export { loadAllMethods } from './methods/load-all.js';
export * from './image/preprocess.js';
export type { RawImage } from './image/types.js';
export { encodeNpy, parseNpy, npyToTensor, type NpyArray, type NpyDtype, type NpyData } from './io/npy.js';

// Node-only
export { loadModel, type LoadModelOptions } from './node/load.js';
export { bundledModelPath, bundledSamplesDir } from './node/paths.js';
export { nodeRuntime } from './node/runtime.js';
export { loadInput, stackInputs, type LoadedInput, type InputOptions } from './node/inputs.js';
export { readImageFile, decodeImageBytes, encodePng, writePng } from './node/image-file.js';
export { explainFiles, type ManifestRow, type ExplainFilesOptions } from './node/explain-files.js';
export { exportExplanationFiles, type ExportFileOptions, type ExportFileResult } from './node/export-files.js';
export { runConformance, type ConformanceLine, type ConformanceSummary } from './node/conformance.js';
