import { copyFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, relative, resolve } from 'node:path';
import { LumenError } from '../errors.js';
import type { Method } from '../methods/types.js';
import type { LumenModel } from '../model.js';
import { encodeModel } from '../onnx/io.js';
import { MANIFEST_FILE, readManifestRows, type ManifestRow } from './manifest.js';
import { writeFileAtomic } from './image-file.js';
import { lockOutputDir, outputFolderError, prepareOutputDir, writeOutputFile } from './output-dir.js';
import { modelFileSha256 } from './tfjs-files.js';

/*
 * Sharded batch runs: `--shard i/n` keeps the inputs whose path hash falls in part i (0 ≤ i < n), so n machines
 * (a Kubernetes Indexed Job, a Slurm array, GNU parallel) split one dataset without talking to each other; a file's
 * part depends on its own path only, so adding files never moves the others. `mergeRuns` joins the parts.
 */

/** Part `index` of `count` (0-based, as JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID with --array=0-(n-1)). */
export interface Shard {
  index: number;
  count: number;
}

/** Parse 'i/n' (0 ≤ i < n). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new LumenError('BAD_OPTION', `--shard ${text}: expected i/n, e.g. 0/4 (part i of n, counted from 0)`, 2);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > 1_000_000) throw new LumenError('BAD_OPTION', `--shard ${text}: the number of parts must be from 1 to 1000000`, 2);
  if (index >= count) throw new LumenError('BAD_OPTION', `--shard ${text}: part ${index} does not exist with ${count} parts (parts are 0…${count - 1})`, 2);
  return { index, count };
}

/** The part of `count` a file belongs to: a hash of its path relative to the working folder ('./a.png' = 'a.png'). */
export function shardOf(file: string, count: number): number {
  const full = resolve(file);
  const rel = relative(process.cwd(), full).replace(/\\/g, '/');
  const key = rel.startsWith('../') || rel === '..' ? full : rel;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

export function inShard(file: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(file, shard.count) === shard.index;
}

/** What must be equal for two output folders to be merged (`settings.json` beside the manifest). */
export interface RunSettings {
  /** sha256 of the model file (a TF.js model.json: with its weight shards; the serialized graph when it has no file). */
  modelSha256: string;
  model: string;
  methods: { id: string; options: Record<string, unknown> }[];
  targets: string[];
  layer: string[] | null;
  seed: number;
  output: string | null;
  shard: Shard | null;
}

export const SETTINGS_FILE = 'settings.json';

export function runSettings(
  model: LumenModel,
  options: { methods: readonly Method[]; targets: readonly string[]; methodOptions: (m: Method) => Record<string, unknown>; layer?: readonly string[] | undefined; seed?: number | undefined; output?: string | undefined; shard?: Shard | undefined },
): RunSettings {
  // a TF.js model.json: with its weight shards (modelFileSha256), so new weights are a different model
  const modelSha256 = existsSync(model.source) && statSync(model.source).isFile() ? modelFileSha256(model.source) : createHash('sha256').update(encodeModel(model.proto)).digest('hex');
  return {
    modelSha256,
    model: basename(model.source),
    methods: options.methods.map((m) => ({ id: m.info.id, options: options.methodOptions(m) })),
    targets: options.targets.map((t) => t.trim()),
    layer: options.layer ? [...options.layer] : null,
    seed: options.seed ?? 0,
    output: options.output ?? null,
    shard: options.shard ?? null,
  };
}

export function writeRunSettings(outDir: string, settings: RunSettings): void {
  writeOutputFile(join(outDir, SETTINGS_FILE), JSON.stringify(settings, null, 1), '--out', outDir);
}

export interface MergeResult {
  out: string;
  rows: number;
  failed: number;
  /** Parts present (with sharded inputs) and missing ones. */
  shards: number[];
  missingShards: number[];
  files: number;
}

/**
 * Join the output folders of several runs (usually the n parts of a sharded run) into one folder: one manifest, their
 * files, run.json and settings.json. Refused when the runs differ in model, methods, method options, targets, layer,
 * seed or output, when two folders hold the same part, or when two rows would write one file name differently.
 */
export function mergeRuns(dirs: readonly string[], out: string, options: { force?: boolean } = {}): MergeResult {
  if (dirs.length === 0) throw new LumenError('BAD_OPTION', 'merge: give the output folders to merge', 2);
  const settings = dirs.map((d) => {
    // a part with no inputs has settings but no manifest
    if (!existsSync(join(d, SETTINGS_FILE))) throw new LumenError('FILE_NOT_FOUND', `merge: ${d} is not the output folder of a 'lumen explain' run (no ${SETTINGS_FILE})`, 2);
    return JSON.parse(readFileSync(join(d, SETTINGS_FILE), 'utf8')) as RunSettings;
  });
  const first = settings[0]!;
  const comparable = (s: RunSettings): Omit<RunSettings, 'shard' | 'model'> & { shards: number | null } => ({ modelSha256: s.modelSha256, methods: s.methods, targets: s.targets, layer: s.layer, seed: s.seed, output: s.output, shards: s.shard?.count ?? null });
  settings.forEach((s, i) => {
    const a = comparable(first);
    const b = comparable(s);
    for (const key of Object.keys(a) as (keyof typeof a)[]) {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) {
        const what = key === 'modelSha256' ? `different models (${first.model} sha256 ${first.modelSha256.slice(0, 12)}… vs ${s.model} sha256 ${s.modelSha256.slice(0, 12)}…)` : `different ${key}: ${JSON.stringify(a[key])} vs ${JSON.stringify(b[key])}`;
        throw new LumenError('BAD_OPTION', `merge: ${dirs[0]} and ${dirs[i]} are runs with ${what}; only runs with the same settings merge`, 2);
      }
    }
  });
  const shardOwner = new Map<number, string>();
  settings.forEach((s, i) => {
    if (!s.shard) return;
    const other = shardOwner.get(s.shard.index);
    if (other) throw new LumenError('BAD_OPTION', `merge: ${other} and ${dirs[i]} both hold part ${s.shard.index}/${s.shard.count}`, 2);
    shardOwner.set(s.shard.index, dirs[i]!);
  });
  const resolvedOut = resolve(out);
  if (dirs.some((d) => resolve(d) === resolvedOut)) throw new LumenError('BAD_OPTION', `merge: -o ${out} is one of the folders being merged`, 2);
  if (existsSync(out) && readdirSync(out).length > 0 && !options.force) throw new LumenError('OUTPUT_EXISTS', `merge: -o ${out} exists and is not empty (add --force to merge into it)`, 2);
  prepareOutputDir(out, '-o');
  const release = lockOutputDir(out, '-o');
  try {
    // Later rows win within a folder (a re-run with --force); rows of different folders never share a key unless the
    // same input was given to two runs: then the successful row is kept.
    const rows = new Map<string, { row: ManifestRow; dir: string }>();
    const owners = new Map<string, string>();
    for (const dir of dirs) {
      const own = new Map<string, ManifestRow>();
      for (const row of readManifestRows(dir)) own.set(row.key, row);
      for (const [key, row] of own) {
        const prev = rows.get(key);
        if (prev && (prev.row.status === 'ok' || row.status !== 'ok')) continue;
        rows.set(key, { row, dir });
      }
    }
    let files = 0;
    const copy = (dir: string, name: string | undefined): void => {
      if (!name) return;
      const from = join(dir, name);
      const owner = owners.get(name);
      if (owner !== undefined) {
        if (owner !== dir && !readFileSync(from).equals(readFileSync(join(out, name)))) throw new LumenError('BAD_OPTION', `merge: ${name} differs between ${owner} and ${dir}`, 2);
        return;
      }
      if (!existsSync(from)) throw new LumenError('FILE_NOT_FOUND', `merge: ${from} is listed in its manifest but missing`);
      try {
        copyFileSync(from, join(out, name));
      } catch (e) {
        throw outputFolderError(e, out, '-o');
      }
      owners.set(name, dir);
      files++;
    };
    const lines: string[] = [];
    for (const { row, dir } of rows.values()) {
      if (row.status === 'ok') for (const name of [row.png, row.npy, row.image]) copy(dir, name);
      lines.push(JSON.stringify(row));
    }
    try {
      writeFileAtomic(join(out, MANIFEST_FILE), lines.length ? `${lines.join('\n')}\n` : '');
      const run = dirs.map((d) => join(d, 'run.json')).find((p) => existsSync(p));
      if (run) copyFileSync(run, join(out, 'run.json'));
    } catch (e) {
      throw outputFolderError(e, out, '-o');
    }
    writeRunSettings(out, { ...first, shard: null });
    const count = first.shard?.count;
    const shards = [...shardOwner.keys()].sort((a, b) => a - b);
    const missingShards = count ? Array.from({ length: count }, (_, i) => i).filter((i) => !shardOwner.has(i)) : [];
    const failed = [...rows.values()].filter((r) => r.row.status !== 'ok').length;
    return { out, rows: rows.size, failed, shards, missingShards, files };
  } finally {
    release();
  }
}
