/**
 * The public API both entries share (src/index.ts for Node, src/browser.ts for the browser). Importing it registers
 * every method family. Only browser-safe modules belong here; each entry adds its own image and file helpers.
 */
import './methods/load-all.js';

export * from './errors.js';
export * from './tensor.js';
export * from './metadata.js';
export * from './targets/index.js';
export { LumenModel, type LayerInfo, type Prediction, type ModelOptions } from './model.js';
export { describeLayout, fromNchw, parseLayerLayout, toNchw, type InputLayout, type LayerLayout, type LayerLayoutSpec } from './layout.js';
export type { Runtime, Session, SessionSettings, Feeds } from './runtime/types.js';
export { createOrtRuntime } from './runtime/ort.js';
export { registerMethod, getMethod, hasMethod, listMethods } from './methods/registry.js';
export type * from './methods/types.js';
export * from './render/index.js';
export * from './metrics/index.js';
export { computeGradients, type GradientRequest, type GradientResult } from './autodiff/index.js';
export * from './export/index.js';
export { OnnxGraph, type Dim } from './onnx/graph.js';
export { decodeModel, encodeModel } from './onnx/io.js';
export { convertTfjs, isTfjsModelJson, tfjsFormat, teachableMachineMetadata, GRAPH_OPS, LAYER_CLASSES, type TfjsModelJson, type TfjsFormat, type Converted } from './import/index.js';
export * from './shortcut/benchmark.js';
export * from './tabular/index.js';
export * from './methods/concepts/index.js';
export { SHAPE_CLASSES, SHAPE_IMAGE_SIZE, MARKER_BOX, generateShapeSample, generateShapeSamples, type ShapeClass, type ShapeSample, type ShapeSampleOptions, type MarkerMode } from './datasets/shapes.js';
