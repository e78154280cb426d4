import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LumenError, parseJsonText } from '../errors.js';
import { convertTfjs, parseTfjsModelJson, teachableMachineMetadata, weightPaths, type Converted } from '../import/index.js';
import type { ModelMetadata } from '../metadata.js';

/**
 * Read a TF.js model.json with its shard files (and Teachable Machine's metadata.json beside it, when present) and
 * convert it to ONNX. `metadata` (flags) wins over metadata.json.
 */
export function convertTfjsFile(path: string, metadata: ModelMetadata = {}): Converted {
  const json = parseTfjsModelJson(readFileSync(path, 'utf8'), path);
  const dir = dirname(path);
  const groups = weightPaths(json).map((paths) => {
    const parts = paths.map((p) => {
      const file = join(dir, p);
      if (!existsSync(file)) throw new LumenError('FILE_NOT_FOUND', `${path}: weight file '${p}' not found (expected at ${file}; keep the .bin shards beside model.json)`);
      return new Uint8Array(readFileSync(file));
    });
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  });
  let fromSidecar: ModelMetadata = {};
  const tm = join(dir, 'metadata.json');
  if (existsSync(tm)) {
    fromSidecar = teachableMachineMetadata(parseJsonText(readFileSync(tm, 'utf8'), tm), tm);
  }
  return convertTfjs(json, groups, { source: path, metadata: { ...fromSidecar, ...metadata } });
}

/** The files a model is read from: the ONNX file, or a TF.js model.json and its weight shards (manifest order). */
function modelFiles(path: string): string[] {
  if (!isTfjsPath(path)) return [path];
  const json = parseTfjsModelJson(readFileSync(path, 'utf8'), path);
  return [path, ...weightPaths(json).flat().map((p) => join(dirname(path), p))];
}

/**
 * SHA-256 identifying a model file's content: of an ONNX file, its bytes; of a TF.js model.json, the hashes of it
 * and of its weight shards (new weights beside the same model.json give a new value).
 */
export function modelFileSha256(path: string): string {
  const files = modelFiles(path);
  return files.length === 1 ? sha256Hex(readFileSync(path)) : sha256Hex(Buffer.from(files.map((f) => sha256Hex(readFileSync(f))).join('\n')));
}

/** SHA-256 of some bytes, as hex (model files here, dataset images in the embedding cache). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether a model path names a TF.js model.json (by extension, or by content for other names). */
export function isTfjsPath(path: string): boolean {
  if (/\.json$/i.test(path)) return true;
  return false;
}
