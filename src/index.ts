/**
 * Lumen's Node.js entry: everything in the browser entry plus files (models, images, .npy), onnxruntime-node,
 * batch runs and the conformance runner. Importing it registers every method family.
 */
import './methods/cam/index.js';
import './methods/gradient/index.js';
import './methods/perturbation/index.js';

export * from './errors.js';
export * from './tensor.js';
export * from './metadata.js';
export * from './targets.js';
export { LumenModel, type LayerInfo, type Prediction, type ModelOptions } from './model.js';
export type { Runtime, Session, SessionSettings, Feeds } from './runtime/types.js';
export { createOrtRuntime } from './runtime/ort.js';
export { registerMethod, getMethod, hasMethod, listMethods } from './methods/registry.js';
export { loadAllMethods } from './methods/load-all.js';
export type * from './methods/types.js';
export * from './image/preprocess.js';
export type { RawImage } from './image/types.js';
export { encodeNpy, parseNpy, npyToTensor, type NpyArray, type NpyDtype, type NpyData } from './io/npy.js';
export * from './render/index.js';
export * from './metrics/index.js';
export { computeGradients, type GradientRequest, type GradientResult } from './autodiff/index.js';
export { OnnxGraph, type Dim } from './onnx/graph.js';
export { decodeModel, encodeModel } from './onnx/io.js';

// Node-only
export { loadModel, type LoadModelOptions } from './node/load.js';
export { nodeRuntime } from './node/runtime.js';
export { loadInput, stackInputs, type LoadedInput, type InputOptions } from './node/inputs.js';
export { readImageFile, decodeImageBytes, encodePng, writePng } from './node/image-file.js';
export { explainFiles, renderOverlay, type ManifestRow, type ExplainFilesOptions } from './node/explain-files.js';
export { runConformance, type ConformanceLine, type ConformanceSummary } from './node/conformance.js';
export * from './shortcut/benchmark.js';
export { SHAPE_CLASSES, SHAPE_IMAGE_SIZE, MARKER_BOX, generateShapeSample, generateShapeSamples, type ShapeClass, type ShapeSample, type ShapeSampleOptions, type MarkerMode } from './datasets/shapes.js';
