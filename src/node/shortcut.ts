/**
 * Node side of the "spot the shortcut" benchmark: read the committed shapes split, run the benchmark on the
 * clean and the shortcut model, and build the report section (table + example overlays).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHAPE_CLASSES } from '../datasets/shapes.js';
import { LumenError } from '../errors.js';
import { loadAllMethods } from '../methods/load-all.js';
import { getMethod } from '../methods/registry.js';
import type { LumenModel } from '../model.js';
import { runShortcutBenchmark, type ShortcutBenchmarkOptions, type ShortcutBenchmarkResult, type ShortcutItem, type ShortcutMethodRow } from '../shortcut/benchmark.js';
import { shortcutExampleGrid, type ShortcutExample } from '../shortcut/figures.js';
import { shortcutMarkdown } from '../shortcut/markdown.js';
import { formatPercent, shortcutSectionHtml, type ShortcutExampleFigure, type ShortcutModelRun } from '../shortcut/html.js';
import { parseShortcutSplit, type ShortcutSplitEntry } from '../shortcut/split.js';
import { dataUri, encodePng } from './image-file.js';
import { loadInput, type LoadedInput } from './inputs.js';
import { loadModel } from './load.js';
import { packageRoot } from './paths.js';
import { makeDirs, writeOutputFile } from './output-dir.js';

export const shapesModelPath = (variant: 'clean' | 'shortcut'): string => join(packageRoot(), 'models', `shapes-${variant}.onnx`);
export const shapesSplitDir = (): string => join(packageRoot(), 'samples', 'shapes');

/**
 * Methods the shortcut demo compares, in table order: every CAM method, the gradient methods, and perturbation
 * methods (LIME/Kernel SHAP are left to `--shortcut-methods`: thousands of passes per image; layer-gradcam is
 * Grad-CAM at layer resolution, which the localization metrics do not take). Every id must be registered: a
 * renamed or missing method is an error naming it, not a shorter table.
 */
export const SHORTCUT_METHODS: readonly string[] = [
  'gradcam', 'hirescam', 'gradcam++', 'xgradcam', 'layercam', 'gradcam-elementwise', 'eigengradcam', 'fullgrad', 'guided-gradcam',
  'eigencam', 'cam', 'scorecam', 'ablationcam',
  'saliency', 'input-x-gradient', 'integrated-gradients', 'smoothgrad', 'guided-backprop', 'deconvnet', 'deeplift', 'gradient-shap',
  'occlusion', 'rise', 'feature-ablation',
];

/** Methods shown as example overlays (those of them the run includes). */
export const SHORTCUT_EXAMPLE_METHODS: readonly string[] = ['gradcam', 'gradcam++', 'saliency', 'integrated-gradients', 'guided-backprop', 'occlusion', 'rise'];

export interface LoadedShortcutItem extends ShortcutItem {
  entry: ShortcutSplitEntry;
  loaded: LoadedInput;
}

/** Read `split.json` of a shapes split folder and load its images for `model` (the first `limit`, if given). */
export async function loadShortcutItems(model: LumenModel, splitDir = shapesSplitDir(), limit?: number): Promise<LoadedShortcutItem[]> {
  const splitPath = join(splitDir, 'split.json');
  if (!existsSync(splitPath)) throw new LumenError('FILE_NOT_FOUND', `shapes split not found: ${splitPath}`);
  const split = parseShortcutSplit(JSON.parse(readFileSync(splitPath, 'utf8')), splitPath);
  const entries = limit === undefined ? split.entries : split.entries.slice(0, limit);
  const items: LoadedShortcutItem[] = [];
  for (const entry of entries) {
    const loaded = await loadInput(join(splitDir, entry.file), model);
    items.push({
      id: entry.file,
      input: loaded.tensor,
      label: entry.label,
      objectBox: entry.box,
      marker: entry.marker.present && entry.marker.classIndex !== null ? { box: entry.marker.box, classIndex: entry.marker.classIndex, consistent: entry.marker.consistent } : undefined,
      entry,
      loaded,
    });
  }
  return items;
}

export interface ShortcutDemoOptions {
  /** Folder for shortcut.json and the example PNG. */
  outDir: string;
  /** Method ids (default: SHORTCUT_METHODS, every one registered). */
  methods?: readonly string[];
  /** Use the first N images of the split (default all). */
  images?: number;
  /** Deletion/insertion on the first N images (0 = skip). Default 10. */
  faithfulnessImages?: number;
  /** Randomization check on the first N images (0 = skip). Default 0. */
  randomizationImages?: number;
  /** Per-method explain options. */
  methodOptions?: ShortcutBenchmarkOptions['methodOptions'];
  /** Paths (default: the bundled models and split). */
  cleanModel?: string;
  shortcutModel?: string;
  splitDir?: string;
  onLine?: (line: string) => void;
}

export interface ShortcutDemoResult {
  runs: ShortcutModelRun[];
  /** The report section body. */
  html: string;
  examplesPng?: string;
}

/** Default method list: SHORTCUT_METHODS (an unregistered id fails by name, issue 22: no silent skips). */
export async function shortcutMethods(requested?: readonly string[]): Promise<string[]> {
  await loadAllMethods();
  if (requested) return requested.map((id) => getMethod(id).info.id);
  return SHORTCUT_METHODS.map((id) => getMethod(id).info.id);
}

/** Explain both shapes models on the same test images and build the comparison (table, JSON, example figure). */
export async function runShortcutDemo(options: ShortcutDemoOptions): Promise<ShortcutDemoResult> {
  const say = options.onLine ?? (() => {});
  if (options.images !== undefined && !(Number.isInteger(options.images) && options.images > 0)) {
    throw new LumenError('BAD_OPTION', `the number of shapes images must be a positive integer, got ${options.images}`, 2);
  }
  const methods = await shortcutMethods(options.methods);
  const exampleMethods = SHORTCUT_EXAMPLE_METHODS.filter((id) => methods.includes(id));
  const paths = { clean: options.cleanModel ?? shapesModelPath('clean'), shortcut: options.shortcutModel ?? shapesModelPath('shortcut') };
  for (const p of Object.values(paths)) {
    if (!existsSync(p)) throw new LumenError('FILE_NOT_FOUND', `shapes model not found: ${p} (see docs/models.md to regenerate it)`);
  }
  makeDirs(options.outDir);
  const runs: ShortcutModelRun[] = [];
  const attributions: Record<string, Record<string, ShortcutMethodRow['attributions']>> = {};
  let exampleItems: LoadedShortcutItem[] = [];
  for (const [name, path] of Object.entries(paths)) {
    const model = await loadModel(path);
    try {
      const items = await loadShortcutItems(model, options.splitDir, options.images);
      if (exampleItems.length === 0) exampleItems = pickExamples(items, 3);
      say(`Shortcut benchmark: ${methods.length} methods × ${items.length} images on the ${name} model`);
      const result: ShortcutBenchmarkResult = await runShortcutBenchmark(model, items, {
        methods,
        methodOptions: options.methodOptions,
        faithfulness: (options.faithfulnessImages ?? 10) > 0 ? { images: options.faithfulnessImages ?? 10 } : false,
        randomization: (options.randomizationImages ?? 0) > 0 ? { images: options.randomizationImages } : false,
        keepAttributions: exampleItems.map((it) => it.id),
        onMethod: (row, done, total) =>
          say(`  [${done}/${total}] ${row.method}${row.error ? ` failed: ${row.error}` : `: points at the object ${formatPercent(row.object.pointingGame)} / the marker ${formatPercent(row.marker?.pointingGame)}, more mass on the marker ${formatPercent(row.markerBeatsObject)}, ${row.msPerImage.toFixed(1)} ms/image`}`),
      });
      runs.push({ name, source: path.startsWith(packageRoot()) ? path.slice(packageRoot().length + 1) : path, result });
      attributions[name] = Object.fromEntries(result.rows.map((r) => [r.method, r.attributions]));
    } finally {
      await model.dispose();
    }
  }

  writeOutputFile(join(options.outDir, 'shortcut.json'), JSON.stringify(runs.map(stripAttributions), null, 1), '--out', options.outDir);
  writeOutputFile(join(options.outDir, 'shortcut.md'), shortcutMarkdown(runs), '--out', options.outDir);
  const figures: ShortcutExampleFigure[] = [];
  let examplesPng: string | undefined;
  if (exampleMethods.length && exampleItems.length) {
    const examples: ShortcutExample[] = exampleItems.map((it) => ({ id: it.id, image: it.loaded.image, objectBox: it.objectBox, markerBox: it.marker?.box, caption: describeItem(it) }));
    const grid = shortcutExampleGrid(
      examples,
      Object.keys(paths),
      exampleMethods.map((id) => ({ method: id, info: getMethod(id).info, attributions: Object.fromEntries(Object.keys(paths).map((m) => [m, attributions[m]?.[id] ?? {}])) })),
    );
    const png = await encodePng(grid);
    examplesPng = join(options.outDir, 'shortcut-examples.png');
    writeOutputFile(examplesPng, png, '--out', options.outDir);
    figures.push({
      src: dataUri(png),
      caption: `Green: object box, red: marker box. ${examples.map((e, i) => `#${i + 1}: ${e.caption}`).join('; ')}.`,
    });
  }
  return { runs, html: shortcutSectionHtml(runs, figures), examplesPng };
}

/** Swapped-marker images first (where the two models disagree), one per class where possible. */
function pickExamples(items: readonly LoadedShortcutItem[], n: number): LoadedShortcutItem[] {
  const swapped = items.filter((it) => it.marker && !it.marker.consistent);
  const picked: LoadedShortcutItem[] = [];
  for (const it of [...swapped, ...items]) {
    if (picked.length >= n) break;
    if (!picked.includes(it) && !picked.some((p) => p.label === it.label)) picked.push(it);
  }
  return picked;
}

function describeItem(it: LoadedShortcutItem): string {
  const marker = it.marker ? `marker ${it.marker.consistent ? 'agrees' : `says ${SHAPE_CLASSES[it.marker.classIndex] ?? it.marker.classIndex}`}` : 'no marker';
  return `${it.entry.className} (${it.id}), ${marker}`;
}

function stripAttributions(run: ShortcutModelRun): unknown {
  return { ...run, result: { ...run.result, rows: run.result.rows.map(({ attributions: _unused, ...rest }) => rest) } };
}
