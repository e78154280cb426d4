import * as ort from 'onnxruntime-web';
import { createOrtRuntime } from './ort.js';
import type { Runtime, SessionSettings } from './types.js';

export interface WebRuntimeOptions extends SessionSettings {
  /** Where the onnxruntime-web .wasm/.mjs files are served from (a local path; never a CDN). */
  wasmPaths?: string;
}

/**
 * onnxruntime-web (WebAssembly; WebGPU when asked and available). Multi-threaded WASM only when the page is
 * cross-origin isolated (SharedArrayBuffer needs COOP/COEP), single-threaded otherwise.
 */
export function webRuntime(options: WebRuntimeOptions = {}): Runtime {
  const { wasmPaths, ...defaults } = options;
  if (wasmPaths) ort.env.wasm.wasmPaths = wasmPaths;
  const isolated = typeof globalThis !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  ort.env.wasm.numThreads = isolated ? Math.min(4, cores) : 1;
  return createOrtRuntime(ort, 'onnxruntime-web', { executionProviders: ['wasm'], ...defaults });
}
