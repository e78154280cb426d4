import { existsSync, readFileSync, statSync } from 'node:fs';
import { LumenError, parseJsonText } from '../errors.js';
import { validateMetadata, type ModelMetadata } from '../metadata.js';
import { LumenModel } from '../model.js';
import type { Converted } from '../import/index.js';
import type { Runtime, SessionSettings } from '../runtime/types.js';
import { nodeRuntime } from './runtime.js';
import { convertTfjsFile, isTfjsPath } from './tfjs-files.js';

export interface LoadModelOptions {
  /** Overrides for the model's metadata (class names, normalization, default layer). */
  metadata?: ModelMetadata;
  runtime?: Runtime;
  session?: SessionSettings;
}

/** The sidecar metadata file of a model: `model.json` beside `model.onnx` (or `model.onnx.json`). */
export function sidecarPath(modelPath: string): string | undefined {
  const candidates = [modelPath.replace(/\.onnx$/i, '.json'), `${modelPath}.json`];
  return candidates.find((p) => p !== modelPath && existsSync(p));
}

/** A model path that can be read: it exists and is a regular file (loadModel, `lumen serve --model`). */
export function checkModelFile(path: string): void {
  if (!existsSync(path)) throw new LumenError('FILE_NOT_FOUND', `model file not found: ${path}`);
  if (statSync(path).isDirectory()) throw new LumenError('NOT_ONNX', `${path} is a folder, not a model file (give an .onnx file or a TF.js model.json)`);
  // a device or a pipe (/dev/zero) would be read until memory runs out
  if (!statSync(path).isFile()) throw new LumenError('NOT_ONNX', `${path} is not a regular file, not a model file (give an .onnx file or a TF.js model.json)`);
}

/** A model file opened by its format: a TF.js model.json converted to ONNX, or an ONNX file's bytes. */
export type OpenedModelFile = { format: 'tfjs'; converted: Converted } | { format: 'onnx'; bytes: Uint8Array };

/**
 * Check a model path (checkModelFile) and open it by its format: the one place a model file's format is told apart
 * (loadModel, `lumen serve --model`; `lumen convert` calls checkModelFile itself, to refuse an existing -o before it
 * converts). `metadata` (flags) is given to the TF.js conversion.
 */
export function openModelFile(path: string, metadata?: ModelMetadata): OpenedModelFile {
  checkModelFile(path);
  if (isTfjsPath(path)) return { format: 'tfjs', converted: convertTfjsFile(path, metadata) };
  try {
    return { format: 'onnx', bytes: new Uint8Array(readFileSync(path)) };
  } catch (e) {
    throw new LumenError('FILE_NOT_FOUND', `${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** Load an ONNX classifier (or a TF.js model.json, converted) from a file with its sidecar metadata (flags in `options.metadata` win). */
export async function loadModel(path: string, options: LoadModelOptions = {}): Promise<LumenModel> {
  const opened = openModelFile(path, options.metadata);
  if (opened.format === 'tfjs') {
    // TF.js graph/layers model.json: converted in memory to the same ONNX graph IR
    return LumenModel.fromProto(opened.converted.proto, {
      runtime: options.runtime ?? nodeRuntime(options.session),
      metadata: opened.converted.metadata,
      source: path,
    });
  }
  const bytes = opened.bytes;
  let sidecar: ModelMetadata = {};
  const side = sidecarPath(path);
  if (side) {
    sidecar = validateMetadata(parseJsonText(readFileSync(side, 'utf8'), side) as Record<string, unknown>, side);
  }
  return LumenModel.fromBytes(bytes, {
    runtime: options.runtime ?? nodeRuntime(options.session),
    metadata: { ...sidecar, ...(options.metadata ?? {}) },
    source: path,
  });
}
