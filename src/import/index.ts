import { LumenError, parseJsonText } from '../errors.js';
import type { ModelMetadata } from '../metadata.js';
import type { ModelProto } from '../onnx/proto.js';
import { GraphBuilder } from './builder.js';
import { convertGraphModel, type TfNode } from './tfjs-graph.js';
import { LayersConverter } from './tfjs-layers.js';
import { decodeWeights, type TfjsWeightGroup } from './weights.js';

export { GRAPH_OPS } from './tfjs-graph.js';
export { LAYER_CLASSES } from './tfjs-layers.js';

export type TfjsFormat = 'graph-model' | 'layers-model';

/** A TF.js `model.json` (both formats). */
export interface TfjsModelJson {
  format?: string;
  modelTopology: unknown;
  weightsManifest: TfjsWeightGroup[];
  signature?: { inputs?: Record<string, { name: string }>; outputs?: Record<string, { name: string }> };
  [key: string]: unknown;
}

/** Whether parsed JSON is a TF.js model.json. */
export function isTfjsModelJson(value: unknown): value is TfjsModelJson {
  const v = value as Partial<TfjsModelJson> | null;
  return !!v && typeof v === 'object' && !!v.modelTopology && Array.isArray(v.weightsManifest);
}

/** Whether a file's bytes look like a JSON object (model.json, not an ONNX protobuf). */
export function looksLikeJson(bytes: Uint8Array): boolean {
  for (const c of bytes.subarray(0, 64)) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b; // '{'
  }
  return false;
}

export function parseTfjsModelJson(text: string, source: string): TfjsModelJson {
  const parsed = parseJsonText(text, source, 'CORRUPT_MODEL');
  if (!isTfjsModelJson(parsed)) {
    throw new LumenError('NOT_ONNX', `${source}: a JSON file but not a TensorFlow.js model.json (it has no modelTopology and weightsManifest)`);
  }
  return parsed;
}

/** The format of a model.json: `format` when present, else from the topology (Keras configs are layers models). */
export function tfjsFormat(json: TfjsModelJson): TfjsFormat {
  if (json.format === 'graph-model' || json.format === 'layers-model') return json.format;
  const t = json.modelTopology as { node?: unknown };
  return Array.isArray(t.node) ? 'graph-model' : 'layers-model';
}

/** Shard file names per weight group, relative to the model.json's folder. */
export function weightPaths(json: TfjsModelJson): string[][] {
  return json.weightsManifest.map((g) => g.paths);
}

export interface ConvertOptions {
  /** Name used in error messages. */
  source?: string;
  /** Metadata to store in the converted model (class names, normalization…), e.g. from Teachable Machine's metadata.json. */
  metadata?: ModelMetadata;
}

export interface Converted {
  proto: ModelProto;
  format: TfjsFormat;
  metadata: ModelMetadata;
}

/**
 * Convert a TF.js model to an ONNX ModelProto (the graph IR every Lumen model is). `groupBytes[i]` is weight group
 * i's shard files concatenated in `paths` order. The ONNX graph keeps the model's NHWC input; see builder.ts for how
 * channel order is handled inside.
 */
export function convertTfjs(json: TfjsModelJson, groupBytes: readonly Uint8Array[], options: ConvertOptions = {}): Converted {
  const source = options.source ?? 'model.json';
  const format = tfjsFormat(json);
  const weights = decodeWeights(json.weightsManifest, groupBytes, source);
  const b = new GraphBuilder(`lumen TF.js ${format} import`);
  let outputs;
  if (format === 'graph-model') {
    const nodes = (json.modelTopology as { node: TfNode[] }).node;
    const outNames = json.signature?.outputs ? Object.values(json.signature.outputs).map((o) => o.name) : undefined;
    outputs = convertGraphModel(nodes, weights, b, source, outNames);
  } else {
    const t = json.modelTopology as { model_config?: { class_name: string; config: unknown }; class_name?: string; config?: unknown };
    const model = t.model_config ?? (t.class_name ? { class_name: t.class_name, config: t.config } : undefined);
    if (!model) throw new LumenError('CORRUPT_MODEL', `${source}: the layers model has no model_config`);
    outputs = new LayersConverter(b, weights, source).convertModel(model);
  }
  for (const o of outputs) b.output(o);
  const metadata: ModelMetadata = { ...(options.metadata ?? {}) };
  for (const [k, v] of Object.entries(metadata)) if (v !== undefined) b.setMetadata(`lumen.${k}`, JSON.stringify(v));
  b.setMetadata('lumen.importedFrom', JSON.stringify(`TF.js ${format}`));
  return { proto: b.model, format, metadata };
}

/**
 * Lumen metadata from Teachable Machine's metadata.json (`labels`; its image models take pixels scaled to [−1, 1],
 * as @teachablemachine/image feeds them).
 */
export function teachableMachineMetadata(value: unknown, source: string): ModelMetadata {
  const v = value as { labels?: unknown; packageName?: unknown } | null;
  if (!v || typeof v !== 'object' || !Array.isArray(v.labels) || !v.labels.every((l) => typeof l === 'string')) {
    throw new LumenError('BAD_OPTION', `${source}: expected Teachable Machine metadata with a "labels" array of strings`);
  }
  const meta: ModelMetadata = { classes: v.labels as string[] };
  if (typeof v.packageName !== 'string' || v.packageName.includes('image')) meta.normalization = { mean: [0.5], std: [0.5] };
  return meta;
}
