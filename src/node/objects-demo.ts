import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LumenError } from '../errors.js';
import { getMethod } from '../methods/registry.js';
import type { Method } from '../methods/types.js';
import { explainFiles } from './explain-files.js';
import { loadModel } from './load.js';
import { packageRoot } from './paths.js';
import { writeReport, writeRunInfo } from './report.js';

/** The models trained by scripts/train_shapes_objects.py (docs/models.md). */
export const objectsModelPath = (kind: 'segmentation' | 'detection'): string => join(packageRoot(), 'models', kind === 'segmentation' ? 'shapes-seg.onnx' : 'shapes-det.onnx');

export interface ObjectsDemoOptions {
  kind: 'segmentation' | 'detection';
  outDir: string;
  /** The first n images of samples/shapes. */
  images: number;
  methods?: readonly string[];
  force?: boolean;
  onLine?: (line: string) => void;
}

const DEFAULT_METHODS = ['gradcam', 'hirescam', 'eigencam', 'saliency', 'integrated-gradients', 'occlusion'];

/**
 * Explain one chosen object per shapes test image: with the segmentation model, the image's shape category over
 * the pixels where it wins (`seg:<class + 1>`); with the detector, the candidate whose box best overlaps the
 * ground-truth box (`det:box=…`), its best class. Writes explain's files and a report into `outDir`.
 */
export async function runObjectsDemo(options: ObjectsDemoOptions): Promise<{ report: string; written: number; failed: number }> {
  const say = options.onLine ?? (() => {});
  const modelPath = objectsModelPath(options.kind);
  if (!existsSync(modelPath)) throw new LumenError('FILE_NOT_FOUND', `${options.kind} model not found: ${modelPath} (see docs/models.md to regenerate it)`);
  if (!(Number.isInteger(options.images) && options.images > 0)) throw new LumenError('BAD_OPTION', `the number of shapes images must be a positive integer, got ${options.images}`, 2);
  const splitDir = join(packageRoot(), 'samples', 'shapes');
  const split = JSON.parse(readFileSync(join(splitDir, 'split.json'), 'utf8')) as { images: { file: string; label: number; box: [number, number, number, number] }[] };
  const methods: Method[] = (options.methods ?? DEFAULT_METHODS).map((id) => getMethod(id));
  const model = await loadModel(modelPath);
  let written = 0;
  let failed = 0;
  try {
    await writeRunInfo(model, modelPath.startsWith(packageRoot()) ? modelPath.slice(packageRoot().length + 1) : modelPath, options.outDir);
    const items = split.images.slice(0, options.images);
    say(`${options.kind === 'segmentation' ? 'Segmentation' : 'Detection'} demo: ${methods.length} methods × ${items.length} shapes images of ${modelPath.slice(packageRoot().length + 1)}`);
    for (const item of items) {
      const target = options.kind === 'segmentation' ? `seg:${item.label + 1}` : `det:box=${item.box.join(',')}`;
      const r = await explainFiles(model, [join(splitDir, item.file)], {
        methods,
        targets: [target],
        methodOptions: () => ({}),
        outDir: options.outDir,
        npy: true,
        score: true,
        force: options.force,
        seed: 0,
        batchSize: 1,
      });
      written += r.rows.length - r.failed;
      failed += r.failed;
      for (const row of r.rows.filter((x) => x.status === 'error')) say(`  ${row.method} failed on ${item.file}: ${row.error}`);
    }
    const report = writeReport(options.outDir, { title: `Lumen demo — shapes ${options.kind} (${options.kind === 'segmentation' ? 'seg:<category>' : 'det:box=<ground truth>'})` });
    return { report, written, failed };
  } finally {
    await model.dispose();
  }
}
