import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LumenError } from '../errors.js';
import { getMethod, hasMethod } from '../methods/registry.js';
import { listMetrics } from '../metrics/index.js';
import type { LumenModel } from '../model.js';
import { renderReportHtml, type ReportCell, type ReportData, type ReportImage } from '../report/html.js';
import { MANIFEST_FILE, readManifestRows, type ManifestRow } from './manifest.js';
import { imageFileDataUri } from './image-file.js';
import { classCount } from '../targets/index.js';
import { conceptSectionsIn } from './concepts-report.js';
import { makeDirs, writeOutputFile } from './output-dir.js';

/** What `lumen explain` records about the model so `lumen report` can describe it later. */
export interface RunInfo {
  modelPath: string;
  model: ReportData['model'];
}

export async function describeModel(model: LumenModel, modelPath: string): Promise<ReportData['model']> {
  const layers = await model.layers();
  const k = await classCount(model);
  return {
    path: modelPath,
    input: model.inputName,
    inputDims: model.inputDims,
    classes: model.classNames ?? Array.from({ length: k }, (_, i) => model.classLabel(i)),
    normalization: model.normalization,
    defaultLayer: layers.find((l) => l.isDefault)?.name,
    layers: layers.map((l) => ({ name: l.name, shape: l.shape, op: l.op, isDefault: l.isDefault })),
  };
}

/** Record the model in `<out>/run.json` so `lumen report` can describe it (predictions travel in the manifest rows). */
export async function writeRunInfo(model: LumenModel, modelPath: string, outDir: string): Promise<void> {
  makeDirs(outDir);
  const info: RunInfo = { modelPath, model: await describeModel(model, modelPath) };
  writeOutputFile(join(outDir, 'run.json'), JSON.stringify(info, null, 1), '--out', outDir);
}

export interface ReportOptions {
  title?: string;
  /** Extra sections (e.g. the shortcut benchmark) appended before "how to read this". */
  sections?: ReportData['sections'];
}

/** Build `<out>/report.html` from a finished explain run (its manifest.jsonl, run.json and PNGs). */
export function writeReport(outDir: string, options: ReportOptions = {}): string {
  const manifestPath = join(outDir, MANIFEST_FILE);
  const runPath = join(outDir, 'run.json');
  if (!existsSync(manifestPath) || !existsSync(runPath)) {
    throw new LumenError('FILE_NOT_FOUND', `${outDir} is not the output of 'lumen explain' (needs manifest.jsonl and run.json)`);
  }
  const run = JSON.parse(readFileSync(runPath, 'utf8')) as RunInfo;
  // Later rows win: a re-run with --force replaces earlier results for the same key.
  const byKey = new Map<string, ManifestRow>();
  for (const row of readManifestRows(outDir)) byKey.set(row.key, row);
  const rows = [...byKey.values()];
  const dataUri = (file: string | undefined): string | undefined => {
    if (!file) return undefined;
    return imageFileDataUri(join(outDir, file));
  };
  const images = new Map<string, ReportImage>();
  for (const row of rows.filter((r) => r.status === 'ok')) {
    let img = images.get(row.input);
    if (!img) {
      img = { input: row.input, image: dataUri(row.image), predictions: row.top ?? [], cells: [] };
      images.set(row.input, img);
    }
    const overlay = dataUri(row.png);
    if (!overlay) continue;
    const cell: ReportCell = {
      method: row.method,
      target: row.target,
      label: row.label ?? row.target,
      probability: row.probability,
      overlay,
      scores: row.scores ?? {},
      curves: row.curves ?? {},
      ms: row.timings ? (row.timings.compileMs + row.timings.runMs) / (row.batch ?? 1) : undefined,
    };
    img.cells.push(cell);
  }
  const methodIds = [...new Set(rows.map((r) => r.method))];
  const data: ReportData = {
    title: options.title ?? `Lumen report — ${run.modelPath}`,
    model: run.model,
    images: [...images.values()],
    methods: methodIds.map((id) => {
      const info = hasMethod(id) ? getMethod(id).info : undefined;
      return { id, title: info?.title ?? id, family: info?.family ?? '?', summary: info?.summary ?? '', cost: info?.cost ?? '', caveat: info?.caveat };
    }),
    metrics: listMetrics().map((m) => ({ id: m.id, title: m.title, higherIsBetter: m.higherIsBetter, summary: m.summary })),
    failures: rows.filter((r) => r.status === 'error').map((r) => ({ input: r.input, method: r.method, error: r.error ?? '' })),
    // concept/example outputs saved in the folder or its direct subfolders (lumen concepts/craft, tcav/neighbors/prototypes --json)
    sections: [...(options.sections ?? []), ...conceptSectionsIn(outDir)],
  };
  const out = join(outDir, 'report.html');
  writeOutputFile(out, renderReportHtml(data), '--out', outDir);
  return out;
}
