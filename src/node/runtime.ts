import * as ort from 'onnxruntime-node';
import { createOrtRuntime } from '../runtime/ort.js';
import type { Runtime, SessionSettings } from '../runtime/types.js';

/** onnxruntime-node (CPU). */
export function nodeRuntime(defaults: SessionSettings = {}): Runtime {
  return createOrtRuntime(ort, 'onnxruntime-node', defaults);
}
