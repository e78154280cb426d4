import { join } from 'node:path';
import { isLumenError, LumenError } from '../errors.js';
import type { LumenModel } from '../model.js';
import { encodePng } from '../node/image-file.js';
import { loadInput, type LoadedInput } from '../node/inputs.js';
import { encodeNpy } from '../io/npy.js';
import { outputStem, prepareOutputDir, writeOutputFile } from '../node/output-dir.js';
import { forwardTarget, requireTargetTensor, structuredKind, structuredPrediction } from '../targets/index.js';
import { classMapImage } from '../render/class-map.js';
import { printJson, printLine } from './output.js';
import { numberFlag } from './method-flags.js';

export interface PredictOutputFlags {
  output?: string;
  out: string;
  /** --out was given on the command line (not its default): only segmentation models write files. */
  outGiven?: boolean;
  scoreThreshold: string;
  iou: string;
}

/**
 * `lumen predict` on models that are not classifiers: a [N, C, H, W] output writes each image's class map (argmax
 * over the categories) as a PNG and a .npy and prints the pixels per category; a raw YOLO-style head
 * ([N, 4+K, A] or [N, A, 5+K]) prints the boxes kept by NMS with the candidate index `det:<index>` explains.
 * Returns false (nothing done) for a [N, K] classifier output.
 */
export async function predictStructured(model: LumenModel, files: readonly string[], flags: PredictOutputFlags & { json?: boolean }): Promise<boolean> {
  // checked for every model, not only detectors: a bad value is a usage error wherever it is given
  const scoreThreshold = numberFlag('scoreThreshold', flags.scoreThreshold, 0, 1);
  const iou = numberFlag('iou', flags.iou, 0, 1);
  const tensor = flags.output ?? model.logitsName;
  requireTargetTensor(model, tensor);
  // the output's kind is read from the first input that loads (if none does, the classifier path reports each)
  let first: LoadedInput | undefined;
  for (const f of files) {
    first = await settleInput(loadInput(f, model)).then((l) => (isLumenError(l) ? undefined : l));
    if (first) break;
  }
  if (!first) return false;
  const dims = (await forwardTarget(model, first.tensor, tensor)).values.dims;
  const kind = structuredKind(dims);
  if (!kind && flags.output) throw new LumenError('BAD_OPTION', `--output ${flags.output}: predict reads classes ([N, K]), class maps ([N, C, H, W]) or detection heads; this output is [${dims.join(', ')}]`, 2);
  // a flag that would do nothing is refused, not ignored: only class maps are written as files
  if (flags.outGiven && kind !== 'segmentation') {
    const what = kind === undefined ? 'class scores' : 'a detection head';
    throw new LumenError('BAD_OPTION', `--out ${flags.out}: predict writes files only for segmentation models (class maps); this model's output is ${what} [${dims.join(', ')}], printed (or --json); leave out --out`, 2);
  }
  if (!kind) return false;
  const outDir = kind === 'segmentation' ? prepareOutputDir(flags.out) : undefined;
  const rows: Record<string, unknown>[] = [];
  let failed = 0;
  for (const file of files) {
    const result = await settleInput((async () => {
      const input = file === first.path ? first : await loadInput(file, model);
      return (await forwardTarget(model, input.tensor, tensor)).values;
    })());
    if (isLumenError(result)) {
      failed++;
      reportInputError(rows, file, result, flags.json);
      continue;
    }
    const values = result;
    const p = structuredPrediction(values, 0, { scoreThreshold, iou })!;
    if (p.kind === 'segmentation') {
      const stem = join(outDir!, `${outputStem(file)}__classes`);
      writeOutputFile(`${stem}.png`, await encodePng(classMapImage(p.map, p.width, p.height)), '--out', outDir);
      writeOutputFile(`${stem}.npy`, encodeNpy(p.map, [p.height, p.width]), '--out', outDir);
      const categories = p.categories.map((x) => ({ category: x.category, label: model.classLabel(x.category), pixels: x.pixels }));
      rows.push({ input: file, status: 'ok', classMap: `${stem}.png`, classMapNpy: `${stem}.npy`, categories });
      if (!flags.json) {
        printLine(`${file} → ${stem}.png`);
        for (const x of categories) printLine(`  ${String(x.category).padStart(4)}  ${x.label.padEnd(24)} ${x.pixels} px  (--target seg:${x.category})`);
      }
    } else {
      const boxes = p.detections;
      rows.push({ input: file, status: 'ok', layout: p.layout, candidates: p.candidates, detections: boxes.map((d) => ({ ...d, label: model.classLabel(d.cls) })) });
      if (!flags.json) {
        printLine(`${file}: ${boxes.length} boxes after NMS (${p.candidates} candidates, ${p.layout === 'rows' ? '[N, A, 5+K]' : '[N, 4+K, A]'} head)`);
        for (const d of boxes) {
          const b = d.box;
          printLine(`  det:${String(d.index).padEnd(6)} ${model.classLabel(d.cls).padEnd(16)} score ${d.score.toFixed(3)}  box ${[b.x0, b.y0, b.x1, b.y1].map((v) => v.toFixed(1)).join(',')}`);
        }
      }
    }
  }
  if (failed > 0) process.exitCode = 1;
  if (flags.json) printJson(rows);
  return true;
}

/**
 * Whether an error belongs to one input alone (it cannot be read or run), so a command over many inputs records it
 * and goes on. Usage mistakes (exit 2), cancellation and bugs stop the command.
 */
export function isPerInputError(e: unknown): e is LumenError {
  return isLumenError(e) && e.exitCode !== 2 && e.code !== 'CANCELLED';
}

/** One input that fails alone: its LumenError becomes the promise's value (see isPerInputError). */
export function settleInput<T>(p: Promise<T>): Promise<T | LumenError> {
  return p.catch((e: unknown) => {
    if (isPerInputError(e)) return e;
    throw e;
  });
}

/** The error row (--json) or the one stderr line for an input that failed alone. */
export function reportInputError(rows: { push(row: { input: string; status: 'error'; error: string }): unknown }, input: string, e: LumenError, json: boolean | undefined): void {
  rows.push({ input, status: 'error', error: e.message });
  if (!json) process.stderr.write(`lumen: ${e.message.includes(input) ? e.message : `${input}: ${e.message}`}\n`);
}
