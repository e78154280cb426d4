import { appendFileSync, existsSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LumenError, isLumenError } from '../errors.js';
import { describeValue } from '../options.js';
import { makeGrid, type GridCell } from '../render/grid.js';
import { renderOverlay, upscaleForView } from '../render/display.js';
import type { RawImage } from '../image/types.js';
import { encodeNpy } from '../io/npy.js';
import { evaluate, DEFAULT_METRICS, detailsOf } from '../metrics/index.js';
import type { Explanation, Method, ProgressEvent } from '../methods/types.js';
import type { LumenModel } from '../model.js';
import { softmaxRows, type TargetSpec } from '../targets/index.js';
import { parseTargetFlag } from './target-files.js';
import { Tensor } from '../tensor.js';
import { encodePng, writeFileAtomic } from './image-file.js';
import { groupBySize, loadInput, stackInputs, type LoadedInput } from './inputs.js';
import { escapeName, lockOutputDir, outputFolderError, outputStem, prepareOutputDir, writeOutputFile } from './output-dir.js';
import { MAX_COUNT } from '../methods/validate.js';
import { inShard, runSettings, writeRunSettings, type Shard } from './shard.js';

import { MANIFEST_FILE, readManifestRows, type ManifestRow } from './manifest.js';

export type { ManifestRow } from './manifest.js';

export interface ExplainFilesOptions {
  methods: readonly Method[];
  /** Target specs as typed on the CLI ('top1', '3', '3:prob', 'seg:2', …); one explanation per target. */
  targets: readonly string[];
  /** The model output the targets read (--output); default: the logits. */
  output?: string;
  /** Method options by method id (parsed from flags). */
  methodOptions: (method: Method) => Record<string, unknown>;
  layer?: readonly string[];
  outDir: string;
  npy?: boolean;
  score?: boolean;
  force?: boolean;
  seed?: number;
  batchSize?: number;
  colormap?: string;
  /** Also write one labelled PNG grid per batch (images × method·target) as `grid-<first>.png`. */
  grid?: boolean;
  signal?: AbortSignal;
  /** Only this part of the inputs (by path hash: src/node/shard.ts); `settings.json` records it for `lumen merge`. */
  shard?: Shard;
  /** Called once per finished row. */
  onRow?: (row: ManifestRow, done: number, total: number) => void;
  onProgress?: (e: ProgressEvent & { method: string }) => void;
}

/** Start of the error recorded for a row whose output file exists but is not in the manifest (never overwritten). */
export const OUTPUT_EXISTS = 'output exists';

export interface ExplainFilesResult {
  rows: ManifestRow[];
  skipped: number;
  failed: number;
  manifest: string;
}

/**
 * Explain many image files with several methods and targets, streaming: images are read batch by batch, every
 * finished row is appended to `<out>/manifest.jsonl`, and a re-run skips the rows the manifest already has. A row and
 * its files commit together: files are written under pending names, the manifest line is appended, then they are
 * renamed (a re-run finishes the rename, or recomputes a row whose files are missing). Output names are one-to-one
 * with input paths. One run writes into a folder at a time (a lock file). A file that fails, to load or to run, is
 * recorded with its error and the run goes on. Existing outputs are never overwritten unless `force`.
 */
export async function explainFiles(model: LumenModel, files: readonly string[], options: ExplainFilesOptions): Promise<ExplainFilesResult> {
  if (!Array.isArray(files)) throw new LumenError('BAD_OPTION', `explainFiles: files must be an array of paths, got ${describeValue(files)}`, 2);
  if (options === null || typeof options !== 'object') throw new LumenError('BAD_OPTION', `explainFiles: options must be an object, got ${describeValue(options)}`, 2);
  const { outDir } = options;
  // The same method or target twice, or one file under two spellings, is one row, not two rows fighting over one file.
  const methods = uniqueBy(options.methods, (m) => m.info.id);
  const targets = uniqueBy(options.targets, (t) => t.trim());
  const inputs = uniqueBy(files, (f) => resolve(f)).filter((f) => inShard(f, options.shard));
  prepareOutputDir(outDir);
  const release = lockOutputDir(outDir);
  try {
    writeRunSettings(outDir, runSettings(model, { ...options, methods, targets }));
    return await explainLocked(model, inputs, methods, targets, options);
  } finally {
    release();
  }
}

async function explainLocked(model: LumenModel, files: readonly string[], methods: readonly Method[], targets: readonly string[], options: ExplainFilesOptions): Promise<ExplainFilesResult> {
  const { outDir } = options;
  const manifest = join(outDir, MANIFEST_FILE);
  const done = new Map<string, ManifestRow>();
  // Rows whose files are incomplete: those files are theirs, so recomputing the row may replace them.
  const partial = new Map<string, ManifestRow>();
  if (!options.force) {
    for (const row of readManifestRows(outDir)) {
      // A row counts as done only with its files: an interrupted run may have appended the row and not yet
      // renamed its files from their pending names (finished here), or written nothing (recomputed).
      if (row.status === 'ok') (commitFiles(outDir, row) ? done : partial).set(row.key, row);
    }
  }
  const total = files.length * methods.length * targets.length;
  // each target string parsed once (its mask or reference image files read here)
  const specs = new Map<string, TargetSpec>();
  for (const t of targets) specs.set(t, await parseTargetFlag(t, model, options.output));
  const rows: ManifestRow[] = [];
  let skipped = 0;
  let failed = 0;
  let finished = 0;
  const record = (row: ManifestRow): void => {
    try {
      appendFileSync(manifest, `${JSON.stringify(row)}\n`);
    } catch (e) {
      throw outputFolderError(e, outDir);
    }
    if (row.status === 'ok') commitFiles(outDir, row);
    rows.push(row);
    if (row.status === 'error') failed++;
    finished++;
    options.onRow?.(row, finished, total);
  };
  const keyOf = (file: string, method: Method, target: string): string =>
    JSON.stringify([file, method.info.id, target, options.layer ?? null, options.methodOptions(method), options.seed ?? 0, ...(options.output ? [options.output] : [])]);
  const failRows = (items: readonly string[], ms: readonly Method[], ts: readonly string[], e: LumenError): void => {
    for (const f of items) for (const m of ms) for (const t of ts) record({ key: keyOf(f, m, t), input: f, method: m.info.id, target: t, status: 'error', error: e.message });
  };

  const batchSize = options.batchSize ?? 8;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= MAX_COUNT)) {
    throw new LumenError('BAD_OPTION', `batch size must be an integer from 1 to ${MAX_COUNT}, got ${String(batchSize)}`, 2);
  }
  // grid columns: one per method × target
  const columns = methods.flatMap((m) => targets.map((t) => `${m.info.id} ${t}`));

  /** Explain one group of same-size images; a runtime failure of a batch is retried image by image, so one bad input fails only its own rows. */
  const runGroup = async (group: LoadedInput[], gridName: string): Promise<void> => {
    const batch = stackInputs(group);
    let probabilities: Tensor | undefined;
    try {
      const { logits } = await model.forward(batch);
      // class probabilities exist for a classifier's [N, K] output only (not a segmentation map or a detection head)
      probabilities = logits.rank === 2 ? softmaxRows(logits) : undefined;
    } catch (e) {
      if (!isLumenError(e) || e.code === 'CANCELLED') throw e;
      if (group.length > 1) {
        for (const [i, l] of group.entries()) await runGroup([l], `${gridName}-${i + 1}`);
      } else {
        failRows(group.map((l) => l.path), methods, targets, e);
      }
      return;
    }
    // Grid cells of this batch: row = image, column = method × target.
    const gridCells: (GridCell | null)[][] = group.map(() => columns.map(() => null));
    for (const method of methods) {
      for (const target of targets) {
        const todo = group.filter((l) => !done.has(keyOf(l.path, method, target)));
        if (todo.length === 0) {
          skipped += group.length;
          continue;
        }
        const explainBatch = async (items: LoadedInput[]): Promise<{ items: LoadedInput[]; explanation: Explanation }[]> => {
          try {
            const explanation = await method.explain(model, items.length === group.length ? batch : stackInputs(items), {
              ...options.methodOptions(method),
              target: specs.get(target)!,
              layer: options.layer,
              seed: options.seed,
              signal: options.signal,
              onProgress: options.onProgress ? (e) => options.onProgress!({ ...e, method: method.info.id }) : undefined,
            });
            return [{ items, explanation }];
          } catch (e) {
            if (!isLumenError(e) || e.code === 'CANCELLED') throw e;
            if (items.length > 1) {
              const parts: { items: LoadedInput[]; explanation: Explanation }[] = [];
              for (const l of items) parts.push(...(await explainBatch([l])));
              return parts;
            }
            failRows([items[0]!.path], [method], [target], e);
            return [];
          }
        };
        for (const { items: sub, explanation } of await explainBatch(todo)) {
          let scored: Scored[] | undefined;
          let scoreError: string | undefined;
          if (options.score) {
            try {
              scored = await scoreExplanation(model, stackInputs(sub), method, explanation, options, specs.get(target));
            } catch (e) {
              if (!isLumenError(e) || e.code === 'CANCELLED') throw e;
              scoreError = e.message;
            }
          }
          for (let i = 0; i < sub.length; i++) {
            const l = sub[i]!;
            const cls = explanation.targets[i] ?? -1;
            const stem = outputStem(l.path);
            const base = `${stem}__${escapeName(method.info.id)}__${escapeName(target.trim())}`;
            const png = join(outDir, `${base}.png`);
            const npy = options.npy ? join(outDir, `${base}.npy`) : undefined;
            const key = keyOf(l.path, method, target);
            const own = partial.get(key);
            const clash = [png, npy].filter((p): p is string => !!p && existsSync(p) && !(own && [own.png, own.npy].includes(basename(p))));
            if (clash.length > 0 && !options.force) {
              record({ key, input: l.path, method: method.info.id, target, status: 'error', error: `${OUTPUT_EXISTS}: ${clash.join(', ')} (written by an earlier run with other settings or an older Lumen; kept — use --force to overwrite, or another output folder)` });
              continue;
            }
            const attr = explanation.attribution.item(i);
            const overlay = renderOverlay(l.image, attr, method, options.colormap);
            const imageFile = join(outDir, `${stem}__input.png`);
            const item = group.indexOf(l);
            try {
              if (!existsSync(imageFile)) writeFileAtomic(imageFile, await encodePng(upscaleForView(l.image)));
              // Written under pending names first; the manifest line commits them (record renames them after appending).
              writeFileAtomic(pendingName(png), await encodePng(overlay));
              if (npy) writeFileAtomic(pendingName(npy), encodeNpy(attr.data, attr.dims));
            } catch (e) {
              throw outputFolderError(e, outDir);
            }
            const row: ManifestRow = {
              key,
              input: l.path,
              method: method.info.id,
              target,
              status: 'ok',
              class: cls,
              label: cls >= 0 ? model.classLabel(cls) : 'weighted',
              probability: cls >= 0 && probabilities && options.output === undefined ? probabilities.data[item * probabilities.dims[1]! + cls] : undefined,
              top: probabilities ? topClasses(probabilities, item, model, 5) : [],
              png: basename(png),
              npy: npy ? basename(npy) : undefined,
              scores: scored?.[i]?.scores,
              scoreError,
              curves: scored?.[i]?.curves,
              image: basename(imageFile),
              timings: explanation.timings,
              batch: sub.length,
            };
            record(row);
            const label = [`${row.label}${row.probability !== undefined ? ` ${(row.probability * 100).toFixed(1)}%` : ''}`];
            if (row.scores) label.push(Object.entries(row.scores).map(([k, v]) => `${k.slice(0, 3)} ${v.toFixed(2)}`).join(' '));
            gridCells[item]![columns.indexOf(`${method.info.id} ${target}`)] = { image: overlay, label };
          }
        }
      }
    }
    if (options.grid && gridCells.some((r) => r.some((c) => c))) {
      const grid = makeGrid(gridCells, { rowHeaders: group.map((l) => basename(l.path)), columnHeaders: columns, title: `Lumen — ${basename(model.source)}` });
      writeOutputFile(join(outDir, `grid-${gridName}.png`), await encodePng(grid), '--out', outDir);
    }
  };

  for (let start = 0; start < files.length; start += batchSize) {
    if (options.signal?.aborted) throw new LumenError('CANCELLED', 'cancelled');
    const batchFiles = files.slice(start, start + batchSize);
    // Which rows of this batch still need work?
    const pending = batchFiles.filter((f) => methods.some((m) => targets.some((t) => !done.has(keyOf(f, m, t)))));
    for (const f of batchFiles) {
      if (!pending.includes(f)) {
        skipped += methods.length * targets.length;
        finished += methods.length * targets.length;
      }
    }
    if (pending.length === 0) continue;
    const loaded: LoadedInput[] = [];
    for (const f of pending) {
      try {
        loaded.push(await loadInput(f, model));
      } catch (e) {
        if (!isLumenError(e)) throw e;
        failRows([f], methods, targets, e);
      }
    }
    if (loaded.length === 0) continue;
    // A model with an open input size keeps every image at its own size: only images of one size share a batch.
    const groups = groupBySize(loaded);
    for (const [gi, group] of groups.entries()) await runGroup(group, `${String(start).padStart(5, '0')}${groups.length > 1 ? `-${gi + 1}` : ''}`);
  }
  return { rows, skipped, failed, manifest };
}

/** Where a row's file waits until its manifest line is written. */
function pendingName(path: string): string {
  return `${path}.pending`;
}

/**
 * Bring a finished row's files to their final names (renaming any still pending). False when a file is missing:
 * the row was appended but its files never written, so it is not done.
 */
function commitFiles(outDir: string, row: ManifestRow): boolean {
  for (const name of [row.png, row.npy]) {
    if (!name) continue;
    const path = join(outDir, name);
    if (existsSync(pendingName(path))) {
      try {
        renameSync(pendingName(path), path);
      } catch (e) {
        throw outputFolderError(e, outDir);
      }
    }
    if (!existsSync(path)) return false;
  }
  return true;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function topClasses(probabilities: Tensor, item: number, model: LumenModel, k: number): { label: string; probability: number }[] {
  const n = probabilities.dims[1]!;
  const row = probabilities.data.subarray(item * n, (item + 1) * n);
  return Array.from(row.keys())
    .sort((a, b) => row[b]! - row[a]! || a - b)
    .slice(0, k)
    .map((i) => ({ label: model.classLabel(i), probability: row[i]! }));
}

interface Scored {
  scores: Record<string, number>;
  curves: Record<string, { x: number[]; y: number[] }>;
}

async function scoreExplanation(model: LumenModel, input: Tensor, method: Method, explanation: Explanation, options: ExplainFilesOptions, target?: TargetSpec): Promise<Scored[]> {
  const result = await evaluate(model, input, { method, explanation, ...(target !== undefined ? { target } : {}), metrics: DEFAULT_METRICS, methodOptions: { ...options.methodOptions(method), layer: options.layer }, seed: options.seed, signal: options.signal });
  const n = input.dims[0]!;
  return Array.from({ length: n }, (_, i) => {
    const curves: Scored['curves'] = {};
    for (const r of result.results) {
      if (r.metric !== 'deletion' && r.metric !== 'insertion') continue;
      const d = detailsOf(r, r.metric)[i];
      if (d) curves[r.metric] = { x: d.fractions, y: d.curve };
    }
    return { scores: Object.fromEntries(result.results.map((r) => [r.metric, r.values[i]!])), curves };
  });
}
