import { join } from 'node:path';
import { LumenError } from '../errors.js';
import type { LumenModel } from '../model.js';
import { writePng, writeFileAtomic } from '../node/image-file.js';
import { loadInput } from '../node/inputs.js';
import { encodeNpy } from '../io/npy.js';
import { outputStem, prepareOutputDir } from '../node/output-dir.js';
import { forwardTarget, requireTargetTensor, structuredKind, structuredPrediction } from '../targets/index.js';
import { classMapImage } from '../render/class-map.js';
import { printJson, printLine } from './output.js';

export interface PredictOutputFlags {
  output?: string;
  out: string;
  scoreThreshold: string;
  iou: string;
}

function fraction(name: string, raw: string): number {
  const v = Number(raw);
  if (!(v >= 0 && v <= 1)) throw new LumenError('BAD_OPTION', `--${name} must be a number in [0, 1], got '${raw}'`, 2);
  return v;
}

/**
 * `lumen predict` on models that are not classifiers: a [N, C, H, W] output writes each image's class map (argmax
 * over the categories) as a PNG and a .npy and prints the pixels per category; a raw YOLO-style head
 * ([N, 4+K, A] or [N, A, 5+K]) prints the boxes kept by NMS with the candidate index `det:<index>` explains.
 * Returns false (nothing done) for a [N, K] classifier output.
 */
export async function predictStructured(model: LumenModel, files: readonly string[], flags: PredictOutputFlags & { json?: boolean }): Promise<boolean> {
  const tensor = flags.output ?? model.logitsName;
  requireTargetTensor(model, tensor);
  const first = await loadInput(files[0]!, model);
  const dims = (await forwardTarget(model, first.tensor, tensor)).values.dims;
  const kind = structuredKind(dims);
  if (!kind) {
    if (flags.output) throw new LumenError('BAD_OPTION', `--output ${flags.output}: predict reads classes ([N, K]), class maps ([N, C, H, W]) or detection heads; this output is [${dims.join(', ')}]`, 2);
    return false;
  }
  const scoreThreshold = fraction('score-threshold', flags.scoreThreshold);
  const iou = fraction('iou', flags.iou);
  const outDir = kind === 'segmentation' ? prepareOutputDir(flags.out) : undefined;
  const rows: Record<string, unknown>[] = [];
  for (const file of files) {
    const input = file === first.path ? first : await loadInput(file, model);
    const { values } = await forwardTarget(model, input.tensor, tensor);
    const p = structuredPrediction(values, 0, { scoreThreshold, iou })!;
    if (p.kind === 'segmentation') {
      const stem = join(outDir!, `${outputStem(file)}__classes`);
      await writePng(`${stem}.png`, classMapImage(p.map, p.width, p.height));
      writeFileAtomic(`${stem}.npy`, encodeNpy(p.map, [p.height, p.width]));
      const categories = p.categories.map((x) => ({ category: x.category, label: model.classNames?.[x.category] ?? `class_${x.category}`, pixels: x.pixels }));
      rows.push({ input: file, classMap: `${stem}.png`, classMapNpy: `${stem}.npy`, categories });
      if (!flags.json) {
        printLine(`${file} → ${stem}.png`);
        for (const x of categories) printLine(`  ${String(x.category).padStart(4)}  ${x.label.padEnd(24)} ${x.pixels} px  (--target seg:${x.category})`);
      }
    } else {
      const boxes = p.detections;
      rows.push({ input: file, layout: p.layout, candidates: p.candidates, detections: boxes.map((d) => ({ ...d, label: model.classNames?.[d.cls] ?? `class_${d.cls}` })) });
      if (!flags.json) {
        printLine(`${file}: ${boxes.length} boxes after NMS (${p.candidates} candidates, ${p.layout === 'rows' ? '[N, A, 5+K]' : '[N, 4+K, A]'} head)`);
        for (const d of boxes) {
          const b = d.box;
          printLine(`  det:${String(d.index).padEnd(6)} ${(model.classNames?.[d.cls] ?? `class_${d.cls}`).padEnd(16)} score ${d.score.toFixed(3)}  box ${[b.x0, b.y0, b.x1, b.y1].map((v) => v.toFixed(1)).join(',')}`);
        }
      }
    }
  }
  if (flags.json) printJson(rows);
  return true;
}
