/**
 * Lumen's browser entry (package.json `exports["."].browser`): the Node API minus file paths. Models come from
 * bytes, a URL or a File; images from ImageData, <img>, <canvas>, ImageBitmap or a Blob. Nothing in this file's
 * import graph may use Node built-ins (checked by scripts/check-browser-imports.mjs).
 */
import { LumenError, parseJsonText } from './errors.js';
import { validateMetadata, type ModelMetadata } from './metadata.js';
import { LumenModel } from './model.js';
import type { Runtime, SessionSettings } from './runtime/types.js';
import { webRuntime, type WebRuntimeOptions } from './runtime/web.js';
import { getMethod } from './methods/registry.js';
import type { ExplainOptions, Explanation } from './methods/types.js';
import type { Tensor } from './tensor.js';
import { drawToImageData } from './image/browser-decode.js';
import { convertTfjs, isTfjsModelJson, teachableMachineMetadata, weightPaths, type TfjsModelJson } from './import/index.js';

// The shared API (registers every method family on import).
export * from './api.js';
export { webRuntime, type WebRuntimeOptions } from './runtime/web.js';
export * from './image/index.js';

export interface BrowserModelOptions {
  /** Defaults to `webRuntime({ wasmPaths })`, created once and shared. */
  runtime?: Runtime;
  /** Where onnxruntime-web's .wasm/.mjs files are served from (used when `runtime` is not given). */
  wasmPaths?: string;
  session?: SessionSettings;
  /** Overrides for the model's metadata (class names, normalization, default layer). */
  metadata?: ModelMetadata;
  /** Name used in error messages. */
  source?: string;
}

let sharedRuntime: Runtime | undefined;

/**
 * The page's onnxruntime-web runtime (created on first use; `wasmPaths` only applies the first time). It yields to
 * the event loop before every run, so long methods keep the page responsive (see `yieldingRuntime`).
 */
export function defaultWebRuntime(options: WebRuntimeOptions = {}): Runtime {
  sharedRuntime ??= yieldingRuntime(webRuntime(options));
  return sharedRuntime;
}

/**
 * A runtime whose sessions let the browser handle input and paint before each run. onnxruntime-web's WebAssembly
 * runs settle as microtasks, so a method that awaits thousands of runs (RISE, occlusion, integrated gradients) would
 * otherwise hold the main thread to the end: no progress bar updates, no Cancel click.
 */
export function yieldingRuntime(inner: Runtime): Runtime {
  return {
    name: inner.name,
    ...(inner.segments ? { segments: true } : {}),
    async createSession(model, settings) {
      const session = await inner.createSession(model, settings);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        async run(feeds, fetches) {
          await yieldToEventLoop();
          return session.run(feeds, fetches);
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

let lastYield = 0;

/** A macrotask break (MessageChannel: no 4 ms timer clamping), at most every ~16 ms so short runs stay fast. */
function yieldToEventLoop(): Promise<void> {
  const now = typeof performance !== 'undefined' ? performance.now() : Date.now();
  if (now - lastYield < 16 || typeof MessageChannel === 'undefined') return Promise.resolve();
  lastYield = now;
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Load an ONNX classifier from its bytes. */
export function loadModelFromBytes(bytes: ArrayBuffer | ArrayBufferView, options: BrowserModelOptions = {}): LumenModel {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return LumenModel.fromBytes(view, {
    runtime: options.runtime ?? defaultWebRuntime({ wasmPaths: options.wasmPaths }),
    metadata: options.metadata,
    session: options.session,
    source: options.source ?? 'model',
  });
}

/** Fetch a model (and, when `metadataUrl` is given, its sidecar JSON) and load it. */
export async function loadModelFromURL(
  url: string | URL,
  options: BrowserModelOptions & { metadataUrl?: string | URL; signal?: AbortSignal } = {},
): Promise<LumenModel> {
  const bytes = await fetchBytes(url, options.signal);
  const sidecar = options.metadataUrl ? await fetchMetadata(options.metadataUrl, options.signal) : {};
  return loadModelFromBytes(bytes, { ...options, metadata: { ...sidecar, ...(options.metadata ?? {}) }, source: options.source ?? String(url) });
}

/** Load a model the user picked or dropped, with an optional sidecar JSON file. */
export async function loadModelFromFile(
  file: Blob & { name?: string },
  options: BrowserModelOptions & { metadataFile?: Blob & { name?: string } } = {},
): Promise<LumenModel> {
  const bytes = await file.arrayBuffer();
  const sidecar = options.metadataFile ? parseMetadataText(await options.metadataFile.text(), options.metadataFile.name ?? 'metadata JSON') : {};
  return loadModelFromBytes(bytes, { ...options, metadata: { ...sidecar, ...(options.metadata ?? {}) }, source: options.source ?? file.name ?? 'model' });
}

/**
 * Load a TensorFlow.js model from picked/dropped files: its model.json, the weight shards it names (matched by file
 * name) and, optionally, Teachable Machine's metadata.json. Converted in memory to ONNX (src/import).
 */
export async function loadTfjsModelFromFiles(files: readonly (Blob & { name: string })[], options: BrowserModelOptions = {}): Promise<LumenModel> {
  let json: TfjsModelJson | undefined;
  let jsonName = 'model.json';
  let metadata: ModelMetadata = {};
  for (const f of files.filter((x) => /\.json$/i.test(x.name))) {
    const text = await f.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    if (isTfjsModelJson(parsed)) [json, jsonName] = [parsed, f.name];
    else if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { labels?: unknown }).labels)) metadata = teachableMachineMetadata(parsed, f.name);
  }
  if (!json) throw new LumenError('FILE_NOT_FOUND', 'no TensorFlow.js model.json among the files (pick model.json together with its .bin weight files)');
  const byName = new Map(files.map((f) => [f.name, f]));
  const groups = await Promise.all(weightPaths(json).map(async (paths) => {
    const parts = await Promise.all(paths.map(async (p) => {
      const f = byName.get(p.split('/').pop()!);
      if (!f) throw new LumenError('FILE_NOT_FOUND', `${jsonName}: weight file '${p}' was not picked (pick it together with model.json)`);
      return new Uint8Array(await f.arrayBuffer());
    }));
    const all = new Uint8Array(parts.reduce((a, x) => a + x.length, 0));
    parts.reduce((at, x) => (all.set(x, at), at + x.length), 0);
    return all;
  }));
  const converted = convertTfjs(json, groups, { source: jsonName, metadata: { ...metadata, ...(options.metadata ?? {}) } });
  return LumenModel.fromProto(converted.proto, {
    runtime: options.runtime ?? defaultWebRuntime({ wasmPaths: options.wasmPaths }),
    metadata: converted.metadata,
    session: options.session,
    source: options.source ?? jsonName,
  });
}

/** Parse a sidecar metadata JSON text ({ classes, normalization, defaultLayer }). */
export function parseMetadataText(text: string, source = 'metadata JSON'): ModelMetadata {
  const parsed = parseJsonText(text, source);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new LumenError('BAD_OPTION', `${source}: expected a JSON object`);
  return validateMetadata(parsed as Record<string, unknown>, source);
}

async function fetchBytes(url: string | URL, signal?: AbortSignal): Promise<ArrayBuffer> {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new LumenError('FILE_NOT_FOUND', `could not fetch ${String(url)}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function fetchMetadata(url: string | URL, signal?: AbortSignal): Promise<ModelMetadata> {
  const res = await fetch(url, { signal });
  if (!res.ok) throw new LumenError('FILE_NOT_FOUND', `could not fetch ${String(url)}: HTTP ${res.status}`);
  return parseMetadataText(await res.text(), String(url));
}

/** Pixels of anything the page can draw: <img> (loaded), <canvas>, OffscreenCanvas, ImageBitmap, <video> frame. */
export type DrawableImage = HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas;

/** Read the RGBA pixels of a drawable at its natural size. */
export function imageDataFromElement(source: DrawableImage): ImageData {
  const width = 'naturalWidth' in source ? source.naturalWidth : 'videoWidth' in source ? source.videoWidth : source.width;
  const height = 'naturalHeight' in source ? source.naturalHeight : 'videoHeight' in source ? source.videoHeight : source.height;
  if (!width || !height) throw new LumenError('BAD_IMAGE', 'the image has no pixels yet (not loaded?)');
  if ('getContext' in source && !(typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement)) {
    const ctx = source.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (ctx) return ctx.getImageData(0, 0, width, height);
  }
  return drawToImageData(source, width, height);
}

/** Explain a batch with a registered method (by id or alias). */
export function explain(model: LumenModel, input: Tensor, method: string, options: ExplainOptions = {}): Promise<Explanation> {
  return getMethod(method).explain(model, input, options);
}

export { loadAllMethods } from './methods/load-all.js';

/** Fit an image to the model's input and normalize it: the browser twin of the Node `loadInput` (one preparation). */
export { prepareImage, type PrepareImageOptions, type PreparedImage } from './image/prepare.js';
