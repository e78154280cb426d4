import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { LumenError, isLumenError } from '../errors.js';
import { upscaleNearest } from '../render/canvas.js';
import { makeGrid, type GridCell } from '../render/grid.js';
import { attributionToMap, blendSigned, showCamOnImage } from '../render/overlay.js';
import type { RawImage } from '../image/types.js';
import { encodeNpy } from '../io/npy.js';
import { evaluate, DEFAULT_METRICS } from '../metrics/index.js';
import type { Explanation, Method, ProgressEvent } from '../methods/types.js';
import type { LumenModel } from '../model.js';
import { parseTargetSpec, softmaxRows } from '../targets.js';
import { Tensor } from '../tensor.js';
import { resizeMapBilinear } from '../image/resize-map.js';
import { encodePng, writeFileAtomic } from './image-file.js';
import { groupBySize, loadInput, stackInputs, type LoadedInput } from './inputs.js';

/** One row of the batch manifest (JSON Lines): an image × method × target, done or failed. */
export interface ManifestRow {
  key: string;
  input: string;
  method: string;
  target: string;
  status: 'ok' | 'error';
  class?: number;
  label?: string;
  probability?: number;
  png?: string;
  npy?: string;
  scores?: Record<string, number>;
  /** Why the scores are missing (e.g. a layer-resolution attribution cannot be scored on pixels). */
  scoreError?: string;
  /** Deletion / insertion curves when scored: fraction of pixels changed → probability of the class. */
  curves?: Record<string, { x: number[]; y: number[] }>;
  /** The model's top-5 classes for this image (from the batch's own forward pass). */
  top?: { label: string; probability: number }[];
  /** The image as the model saw it (PNG beside the overlays). */
  image?: string;
  /** Timings of the whole batch the row was computed in (`batch` images). */
  timings?: { compileMs: number; runMs: number };
  batch?: number;
  error?: string;
}

export interface ExplainFilesOptions {
  methods: readonly Method[];
  /** Target specs as typed on the CLI ('top1', '3', '3:prob', …); one explanation per target. */
  targets: readonly string[];
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
 * finished row is appended to `<out>/manifest.jsonl`, files are written atomically, and a re-run skips the rows the
 * manifest already has. A file that fails is recorded with its error and the run goes on. Existing outputs are never
 * overwritten unless `force`.
 */
export async function explainFiles(model: LumenModel, files: readonly string[], options: ExplainFilesOptions): Promise<ExplainFilesResult> {
  const { outDir, methods, targets } = options;
  mkdirSync(outDir, { recursive: true });
  const manifest = join(outDir, 'manifest.jsonl');
  const done = new Map<string, ManifestRow>();
  if (existsSync(manifest) && !options.force) {
    for (const line of readFileSync(manifest, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const row = JSON.parse(line) as ManifestRow;
        if (row.status === 'ok') done.set(row.key, row);
      } catch {
        // A line cut by an interrupted run: ignore it, that row will be recomputed.
      }
    }
  }
  const total = files.length * methods.length * targets.length;
  const rows: ManifestRow[] = [];
  let skipped = 0;
  let failed = 0;
  let finished = 0;
  const record = (row: ManifestRow): void => {
    appendFileSync(manifest, `${JSON.stringify(row)}\n`);
    rows.push(row);
    if (row.status === 'error') failed++;
    finished++;
    options.onRow?.(row, finished, total);
  };
  const keyOf = (file: string, method: Method, target: string): string =>
    JSON.stringify([file, method.info.id, target, options.layer ?? null, options.methodOptions(method), options.seed ?? 0]);
  const stemOf = (file: string): string => {
    const rel = relative(process.cwd(), file).replace(/\.\.[/\\]/g, '');
    return rel.slice(0, rel.length - extname(rel).length).replace(/[/\\:]+/g, '__');
  };

  const batchSize = options.batchSize ?? 8;
  // grid columns: one per method × target
  const columns = methods.flatMap((m) => targets.map((t) => `${m.info.id} ${t}`));
  for (let start = 0; start < files.length; start += batchSize) {
    if (options.signal?.aborted) throw new LumenError('CANCELLED', 'cancelled');
    const batchFiles = files.slice(start, start + batchSize);
    // Which rows of this batch still need work?
    const pending = batchFiles.filter((f) => methods.some((m) => targets.some((t) => !isDone(done.get(keyOf(f, m, t))))));
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
        for (const m of methods) for (const t of targets) record({ key: keyOf(f, m, t), input: f, method: m.info.id, target: t, status: 'error', error: e.message });
      }
    }
    if (loaded.length === 0) continue;
    // A model with an open input size keeps every image at its own size: only images of one size share a batch.
    const groups = groupBySize(loaded);
    for (const [gi, group] of groups.entries()) {
      const batch = stackInputs(group);
      // Grid cells of this batch: row = image, column = method × target.
      const gridCells: (GridCell | null)[][] = group.map(() => columns.map(() => null));
      const probabilities = softmaxRows((await model.forward(batch)).logits);
      for (const method of methods) {
        for (const target of targets) {
          const todo = group.filter((l) => !isDone(done.get(keyOf(l.path, method, target))));
          if (todo.length === 0) {
            skipped += group.length;
            continue;
          }
          const sub = todo.length === group.length ? batch : stackInputs(todo);
          let explanation: Explanation;
          try {
            explanation = await method.explain(model, sub, {
              ...options.methodOptions(method),
              target: parseTargetSpec(target),
              layer: options.layer,
              seed: options.seed,
              signal: options.signal,
              onProgress: options.onProgress ? (e) => options.onProgress!({ ...e, method: method.info.id }) : undefined,
            });
          } catch (e) {
            if (!isLumenError(e) || e.code === 'CANCELLED') throw e;
            for (const l of todo) record({ key: keyOf(l.path, method, target), input: l.path, method: method.info.id, target, status: 'error', error: e.message });
            continue;
          }
          let scored: Scored[] | undefined;
          let scoreError: string | undefined;
          if (options.score) {
            try {
              scored = await scoreExplanation(model, sub, method, explanation, options);
            } catch (e) {
              if (!isLumenError(e) || e.code === 'CANCELLED') throw e;
              scoreError = e.message;
            }
          }
          for (let i = 0; i < todo.length; i++) {
            const l = todo[i]!;
            const cls = explanation.targets[i] ?? -1;
            const base = `${stemOf(l.path)}__${method.info.id.replace(/[^a-z0-9+-]/gi, '')}__${target.replace(/[^a-z0-9]/gi, '')}`;
            const png = join(outDir, `${base}.png`);
            const npy = options.npy ? join(outDir, `${base}.npy`) : undefined;
            const key = keyOf(l.path, method, target);
            const clash = [png, npy].filter((p): p is string => !!p && existsSync(p));
            if (clash.length > 0 && !options.force) {
              record({ key, input: l.path, method: method.info.id, target, status: 'error', error: `${OUTPUT_EXISTS}: ${clash.join(', ')} (written by an earlier run with other settings or an older Lumen; kept — use --force to overwrite, or another output folder)` });
              continue;
            }
            const attr = explanation.attribution.item(i);
            const overlay = renderOverlay(l.image, attr, method, options.colormap);
            const imageFile = join(outDir, `${stemOf(l.path)}__input.png`);
            if (!existsSync(imageFile)) writeFileAtomic(imageFile, await encodePng(upscaleForView(l.image)));
            writeFileAtomic(png, await encodePng(overlay));
            if (npy) writeFileAtomic(npy, encodeNpy(attr.data, attr.dims));
            const row: ManifestRow = {
              key,
              input: l.path,
              method: method.info.id,
              target,
              status: 'ok',
              class: cls,
              label: cls >= 0 ? (model.classNames?.[cls] ?? `class_${cls}`) : 'weighted',
              probability: cls >= 0 ? probabilities.data[group.indexOf(l) * probabilities.dims[1]! + cls] : undefined,
              top: topClasses(probabilities, group.indexOf(l), model.classNames, 5),
              png: basename(png),
              npy: npy ? basename(npy) : undefined,
              scores: scored?.[i]?.scores,
              scoreError,
              curves: scored?.[i]?.curves,
              image: basename(imageFile),
              timings: explanation.timings,
              batch: todo.length,
            };
            record(row);
            const label = [`${row.label}${row.probability !== undefined ? ` ${(row.probability * 100).toFixed(1)}%` : ''}`];
            if (row.scores) label.push(Object.entries(row.scores).map(([k, v]) => `${k.slice(0, 3)} ${v.toFixed(2)}`).join(' '));
            gridCells[group.indexOf(l)]![columns.indexOf(`${method.info.id} ${target}`)] = { image: overlay, label };
          }
        }
      }
      if (options.grid && gridCells.some((r) => r.some((c) => c))) {
        const grid = makeGrid(gridCells, { rowHeaders: group.map((l) => basename(l.path)), columnHeaders: columns, title: `Lumen — ${basename(model.source)}` });
        writeFileAtomic(join(outDir, `grid-${String(start).padStart(5, '0')}${groups.length > 1 ? `-${gi + 1}` : ''}.png`), await encodePng(grid));
      }
    }
  }
  return { rows, skipped, failed, manifest };
}

function topClasses(probabilities: Tensor, item: number, names: readonly string[] | undefined, k: number): { label: string; probability: number }[] {
  const n = probabilities.dims[1]!;
  const row = probabilities.data.subarray(item * n, (item + 1) * n);
  return Array.from(row.keys())
    .sort((a, b) => row[b]! - row[a]! || a - b)
    .slice(0, k)
    .map((i) => ({ label: names?.[i] ?? `class_${i}`, probability: row[i]! }));
}

function isDone(row: ManifestRow | undefined): boolean {
  return !!row && row.status === 'ok';
}

interface Scored {
  scores: Record<string, number>;
  curves: Record<string, { x: number[]; y: number[] }>;
}

async function scoreExplanation(model: LumenModel, input: Tensor, method: Method, explanation: Explanation, options: ExplainFilesOptions): Promise<Scored[]> {
  const result = await evaluate(model, input, { method, explanation, metrics: DEFAULT_METRICS, methodOptions: { ...options.methodOptions(method), layer: options.layer }, seed: options.seed, signal: options.signal });
  const n = input.dims[0]!;
  return Array.from({ length: n }, (_, i) => {
    const curves: Scored['curves'] = {};
    for (const r of result.results) {
      const d = r.details[i];
      if (d && Array.isArray(d.curve) && Array.isArray(d.fractions)) curves[r.metric] = { x: d.fractions as number[], y: d.curve as number[] };
    }
    return { scores: Object.fromEntries(result.results.map((r) => [r.metric, r.values[i]!])), curves };
  });
}

/** Layer-resolution maps (e.g. LayerGradCam's h×w) are shown upsampled to the image, as cv2.resize would. */
function toImageResolution(attr: Tensor, image: RawImage): Tensor {
  const [h, w] = attr.dims.slice(-2) as [number, number];
  if (h === image.height && w === image.width) return attr;
  const channels = attr.size / (h * w);
  const out = new Float32Array(channels * image.width * image.height);
  for (let c = 0; c < channels; c++) {
    out.set(resizeMapBilinear(attr.data.subarray(c * h * w, (c + 1) * h * w), w, h, image.width, image.height), c * image.width * image.height);
  }
  return new Tensor(out, [1, channels, image.height, image.width]);
}

function upscaleForView(image: RawImage): RawImage {
  const factor = Math.max(1, Math.floor(224 / Math.max(image.width, image.height)));
  return factor > 1 ? upscaleNearest(image, factor) : image;
}

/**
 * A picture of one attribution over its image: CAM maps (already in [0,1]) as pytorch-grad-cam's overlay, signed
 * attributions with a diverging colormap, the rest as |attribution| summed over channels with 99th-percentile clipping.
 */
export function renderOverlay(image: RawImage, attributionIn: Tensor, method: Method, colormap?: string): RawImage {
  let picture: RawImage;
  const attribution = toImageResolution(attributionIn, image);
  if (method.info.family === 'cam' && !method.info.signed) {
    picture = showCamOnImage(image, attribution.data, { colormap: colormap ?? 'jet' });
  } else if (method.info.signed) {
    const map = attributionToMap(attribution, { reduce: 'signed', clipPercentile: 99 });
    picture = blendSigned(image, map.data, colormap ? { colormap } : {});
  } else {
    const map = attributionToMap(attribution, { reduce: 'abs-sum', clipPercentile: 99 });
    picture = showCamOnImage(image, map.data, { colormap: colormap ?? 'jet' });
  }
  return upscaleForView(picture);
}
