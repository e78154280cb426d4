import { LumenError } from './errors.js';

export interface Normalization {
  mean: number[];
  std: number[];
}

export type NormalizationPreset = 'imagenet' | 'unit' | 'none';

export const NORMALIZATION_PRESETS: Record<NormalizationPreset, Normalization> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  unit: { mean: [0], std: [1] },
  // 'none' feeds raw 0..255 values: x = u8 = (u8/255 - 0) / (1/255)
  none: { mean: [0], std: [1 / 255] },
};

/** What Lumen knows about a model beyond its graph. */
export interface ModelMetadata {
  classes?: string[];
  normalization?: Normalization;
  defaultLayer?: string;
  [key: string]: unknown;
}

/** Read `lumen.*` keys from ONNX metadata_props (values are JSON or plain strings). */
export function metadataFromProps(props: readonly { key: string; value: string }[]): ModelMetadata {
  const meta: ModelMetadata = {};
  for (const { key, value } of props) {
    if (!key.startsWith('lumen.')) continue;
    const k = key.slice('lumen.'.length);
    try {
      meta[k] = JSON.parse(value) as unknown;
    } catch {
      meta[k] = value;
    }
  }
  return validateMetadata(meta, 'ONNX metadata_props');
}

export function validateMetadata(meta: Record<string, unknown>, source: string): ModelMetadata {
  const out: ModelMetadata = { ...meta };
  if (meta.classes !== undefined) {
    if (!Array.isArray(meta.classes) || !meta.classes.every((c) => typeof c === 'string')) {
      throw new LumenError('BAD_OPTION', `${source}: "classes" must be an array of strings`);
    }
  }
  if (meta.normalization !== undefined) out.normalization = parseNormalization(meta.normalization, source);
  if (meta.defaultLayer !== undefined && typeof meta.defaultLayer !== 'string') {
    throw new LumenError('BAD_OPTION', `${source}: "defaultLayer" must be a tensor name (string)`);
  }
  return out;
}

export function parseNormalization(value: unknown, source = 'normalization'): Normalization {
  if (typeof value === 'string') {
    if (value in NORMALIZATION_PRESETS) return NORMALIZATION_PRESETS[value as NormalizationPreset];
    throw new LumenError('BAD_OPTION', `${source}: unknown normalization '${value}' (use imagenet, unit, none, or {mean, std})`, 2);
  }
  const v = value as { mean?: unknown; std?: unknown };
  const ok = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!v || !ok(v.mean) || !ok(v.std) || v.std.some((s) => s === 0)) {
    throw new LumenError('BAD_OPTION', `${source}: normalization needs numeric "mean" and non-zero "std" arrays`, 2);
  }
  return { mean: v.mean, std: v.std };
}
