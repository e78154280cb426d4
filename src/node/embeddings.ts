import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { LumenError } from '../errors.js';
import { layerActivations, pooled, requireSameSize } from '../methods/concepts/layer.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { loadInput, type LoadedInput } from './inputs.js';
import { modelFileSha256, sha256Hex } from './tfjs-files.js';
import { checkOutputFile, writeOutputFile } from './output-dir.js';

/** The cache file a dataset folder keeps its embeddings in (unless --cache names another). */
export const EMBEDDING_CACHE_FILE = '.lumen-embeddings.json';
const CACHE_VERSION = 1;

interface CacheFile {
  version: number;
  /** model key → file path (relative to the cache file) → entry. */
  models: Record<string, Record<string, { hash: string; data: string; dims?: number[] }>>;
}

export interface DatasetEmbeddings {
  files: string[];
  /** [files, d] row-major: the layer's global-average-pooled activations. */
  embeddings: Float32Array;
  d: number;
  /** Files whose embedding came from the cache / was computed now. */
  cached: number;
  computed: number;
  cachePath: string;
}

export interface EmbeddingOptions {
  layer: string;
  /** Cache file; default `<folder>/.lumen-embeddings.json` of the first file's folder. */
  cachePath?: string;
  batchSize?: number;
  /** How errors name the files (default 'dataset'). */
  what?: string;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Pooled layer embeddings of image files, cached per (model bytes — a TF.js model's weight shards included —,
 * normalization, input size, layer) and per file
 * content hash: a second query over the same folder runs no inference, and a changed file is recomputed.
 */
export async function fileEmbeddings(model: LumenModel, modelPath: string, files: readonly string[], options: EmbeddingOptions): Promise<DatasetEmbeddings> {
  if (files.length === 0) throw new LumenError('FILE_NOT_FOUND', 'no dataset images');
  const cachePath = resolve(checkOutputFile(options.cachePath ?? join(dirname(files[0]!), EMBEDDING_CACHE_FILE), '--cache'));
  const cache = readCache(cachePath);
  const modelKey = modelFileSha256(modelPath) + '|' + JSON.stringify({ layer: options.layer, normalization: model.normalization ?? null, size: model.inputSize });
  const entries = (cache.models[modelKey] ??= {});
  const keyOf = (f: string): string => relative(dirname(cachePath), resolve(f));
  const hashes = files.map((f) => sha256Hex(readFileSync(f)));
  // each file's input size is kept with its embedding: images of different sizes are an error whether or not they
  // were embedded in this call (an entry without it, from an older cache, is recomputed)
  const sizes: (number[] | undefined)[] = files.map(() => undefined);
  const rows: (Float32Array | undefined)[] = files.map((f, i) => {
    const e = entries[keyOf(f)];
    if (!e || e.hash !== hashes[i] || !Array.isArray(e.dims)) return undefined;
    sizes[i] = e.dims;
    return decode(e.data);
  });
  const missing = files.map((_, i) => i).filter((i) => !rows[i]);
  const batch = options.batchSize ?? 16;
  const what = options.what ?? 'dataset';
  const known = files.flatMap((f, i) => (sizes[i] ? [{ name: f, dims: sizes[i] }] : []));
  requireSameSize(known, what);
  let reference = known[0];
  let done = files.length - missing.length;
  for (let s = 0; s < missing.length; s += batch) {
    const idx = missing.slice(s, s + batch);
    const loaded: LoadedInput[] = [];
    for (const i of idx) loaded.push(await loadInput(files[i]!, model));
    idx.forEach((i, j) => (sizes[i] = [...loaded[j]!.tensor.dims]));
    const named = idx.map((i) => ({ name: files[i]!, dims: sizes[i]! }));
    reference ??= named[0]!;
    requireSameSize([reference, ...named], what);
    const input = Tensor.concat(loaded.map((l) => l.tensor));
    const acts = await layerActivations(model, input, options.layer);
    const e = pooled(acts.maps);
    const d = e.length / idx.length;
    idx.forEach((i, j) => {
      rows[i] = e.slice(j * d, (j + 1) * d);
      entries[keyOf(files[i]!)] = { hash: hashes[i]!, data: encode(rows[i]!), dims: sizes[i]! };
    });
    done += idx.length;
    options.onProgress?.(done, files.length);
  }
  const d = rows[0]!.length;
  if (rows.some((r) => r!.length !== d)) throw new LumenError('INPUT_SHAPE', `${what}: embeddings of different lengths at layer ${options.layer}`);
  if (missing.length > 0) writeOutputFile(cachePath, JSON.stringify(cache), '--cache');
  const embeddings = new Float32Array(files.length * d);
  rows.forEach((r, i) => embeddings.set(r!, i * d));
  return { files: [...files], embeddings, d, cached: files.length - missing.length, computed: missing.length, cachePath };
}

function readCache(path: string): CacheFile {
  if (!existsSync(path)) return { version: CACHE_VERSION, models: {} };
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as CacheFile;
    // an old or foreign file is replaced, never trusted
    if (c.version === CACHE_VERSION && c.models && typeof c.models === 'object') return c;
  } catch {
    /* unreadable: start afresh */
  }
  return { version: CACHE_VERSION, models: {} };
}

function encode(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decode(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
