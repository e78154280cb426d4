import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { LumenError, parseJsonText } from '../errors.js';
import { parseNormalization, type ModelMetadata } from '../metadata.js';
import type { LumenModel } from '../model.js';
import { loadModel } from '../node/load.js';
import { MAX_THREADS } from '../runtime/errors.js';
import { targetDims } from '../targets/resolve.js';
import { parseList, readFlagFile } from './flags.js';
import { integerFlag } from './method-flags.js';

export interface ModelFlags {
  normalization?: string;
  mean?: string;
  std?: string;
  classes?: string;
  threads?: string;
}

/**
 * Flags every command that loads a model takes (they override the model's metadata and sidecar JSON); the input
 * normalization flags only where the input is an image (`image` false: the tabular commands).
 */
export function addModelFlags(cmd: Command, image = true): Command {
  if (image) {
    cmd
      .option('--normalization <preset>', 'input normalization: imagenet, unit ([0,1]), none (0..255); default from the model metadata')
      .option('--mean <values>', 'custom per-channel mean (comma-separated, on the 0..1 scale)')
      .option('--std <values>', 'custom per-channel std (comma-separated, on the 0..1 scale)');
  }
  return cmd
    .option('--classes <file|list>', 'class names: a JSON/text file (one per line) or a comma-separated list')
    .option('--threads <n>', 'ONNX Runtime intra-op threads (default: runtime default)');
}

export function metadataFromFlags(flags: ModelFlags): ModelMetadata {
  const meta: ModelMetadata = {};
  // (an empty value is given, and refused by numbers(), not ignored)
  if (flags.mean !== undefined || flags.std !== undefined) {
    // each value given is read first: '--mean abc' alone was answered with "go together" only
    const mean = flags.mean !== undefined ? numbers(flags.mean, '--mean') : undefined;
    const std = flags.std !== undefined ? numbers(flags.std, '--std') : undefined;
    if (!mean || !std) throw new LumenError('BAD_OPTION', '--mean and --std go together', 2);
    meta.normalization = parseNormalization({ mean, std }, '--mean/--std');
  } else if (flags.normalization !== undefined) {
    const text = flags.normalization.trim();
    if (text === '') throw new LumenError('BAD_OPTION', `--normalization: no value given (imagenet, unit, none or {"mean":[…],"std":[…]})`, 2);
    let value: unknown = text;
    if (text.startsWith('{')) {
      try {
        value = JSON.parse(text);
      } catch {
        throw new LumenError('BAD_OPTION', `--normalization: '${text}' is not valid JSON ({"mean":[…],"std":[…]})`, 2);
      }
    }
    meta.normalization = parseNormalization(value, '--normalization');
  }
  if (flags.classes !== undefined) meta.classes = readClasses(flags.classes);
  return meta;
}

export async function loadModelWithFlags(path: string, flags: ModelFlags): Promise<LumenModel> {
  const threads = flags.threads !== undefined ? integerFlag('threads', flags.threads, 1, MAX_THREADS) : undefined;
  const metadata = metadataFromFlags(flags);
  const model = await loadModel(path, { metadata, session: threads ? { threads } : {} });
  if (metadata.classes) {
    try {
      await checkClassNames(model, metadata.classes);
    } catch (e) {
      await model.dispose();
      throw e;
    }
  }
  return model;
}

/** Load the model with the command's model flags, run `run` on it, and dispose of it whatever happens. */
export async function withModel<T>(path: string, flags: ModelFlags, run: (model: LumenModel) => Promise<T>): Promise<T> {
  const model = await loadModelWithFlags(path, flags);
  try {
    return await run(model);
  } finally {
    await model.dispose();
  }
}

/**
 * `--classes` must name every class of a classifier's [N, K] scores or of a [N, C, H, W] map: 2 names for 10 classes
 * were accepted and the rest shown as class_k. A single score ([N, 1]) takes 1 or 2 names; other outputs (detection
 * heads, embeddings) and outputs whose size depends on the input are not checked here.
 */
export async function checkClassNames(model: LumenModel, names: readonly string[]): Promise<void> {
  let dims: number[];
  try {
    dims = await targetDims(model, model.zeroInput());
  } catch {
    return;
  }
  if (dims.length !== 1 && dims.length !== 3) return;
  const count = dims[0]!;
  if (names.length === count || (count === 1 && names.length === 2)) return;
  throw new LumenError('BAD_OPTION', `--classes gives ${names.length} class name${names.length === 1 ? '' : 's'}, but the model's output '${model.logitsName}' has ${count} classes; give one name per class, in output order`, 2);
}

function numbers(text: string, flag: string): number[] {
  // Number('') is 0: an empty entry is not a number
  const v = text.split(',').map((s) => (s.trim() === '' ? Number.NaN : Number(s.trim())));
  if (v.some((x) => !Number.isFinite(x))) throw new LumenError('BAD_OPTION', `${flag} takes comma-separated numbers, got '${text}'`, 2);
  return v;
}

function readClasses(value: string): string[] {
  if (value.trim() === '') throw new LumenError('BAD_OPTION', `--classes: no class names given (a JSON or text file, or names separated by commas)`, 2);
  if (existsSync(value)) {
    // (/dev/null, not a regular file, gave no names and was ignored)
    const text = readFlagFile('--classes', value, 'file of class names (JSON or text)');
    if (value.endsWith('.json')) {
      const parsed = parseJsonText(text, `--classes ${value}`, 'BAD_OPTION', 2);
      const list = Array.isArray(parsed) ? parsed : parsed !== null && typeof parsed === 'object' ? (parsed as { classes?: unknown }).classes : undefined;
      if (!Array.isArray(list) || list.some((c) => typeof c !== 'string' && typeof c !== 'number')) {
        throw new LumenError('BAD_OPTION', `--classes ${value}: expected a JSON array of class names or {"classes": [...]}`, 2);
      }
      return list.map(String);
    }
    const lines = text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    if (lines.length === 0) throw new LumenError('BAD_OPTION', `--classes ${value}: the file holds no class names (one per line, or a JSON array)`, 2);
    return lines;
  }
  return parseList('--classes', value, 'class name');
}
