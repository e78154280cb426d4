import { extname } from 'node:path';
import { LumenError } from '../errors.js';
import type { LumenModel } from '../model.js';
import { maskFromImage, maskFromTensor, parseTargetSpec, requireTargetTensor, resolveBatchTargets, specKind, targetDims, targetTensor, type SegmentationTarget, type TargetMask, type TargetSpec } from '../targets/index.js';
import type { Tensor } from '../tensor.js';
import { readImageFile } from './image-file.js';
import { loadInput } from './inputs.js';
import { readNpyTensor } from './npy-file.js';

/** A mask file: a .npy of H·W values ([H, W] or [1, H, W]) or a PNG/JPEG whose non-black pixels are inside. */
export async function readMaskFile(path: string): Promise<TargetMask> {
  if (extname(path).toLowerCase() === '.npy') {
    return maskFromTensor(await readNpyTensor(path), path);
  }
  return maskFromImage(await readImageFile(path));
}

/**
 * Parse a CLI target (`--target`, with `--output` naming the model output it reads): files it names (seg:…:mask=,
 * embed:) are read first (a reference image is prepared as the model's input, like the explained images).
 */
export async function parseTargetFlag(text: string, model: LumenModel, output?: string): Promise<TargetSpec> {
  const masks = new Map<string, TargetMask>();
  const images = new Map<string, Tensor>();
  for (const m of text.matchAll(/:mask=([^:]+)/g)) masks.set(m[1]!, await readMaskFile(m[1]!));
  const embed = /^\s*embed:(.+)$/.exec(text);
  if (embed) images.set(embed[1]!.trim(), (await loadInput(embed[1]!.trim(), model)).tensor);
  return parseTargetSpec(text, output, {
    mask: (path) => masks.get(path)!,
    image: (path) => images.get(path.trim())!,
  });
}

/**
 * Check a CLI target before any work: parsed (its files read) and resolved on a blank input, which catches a class,
 * category, output index, detection index or mask size out of range. Targets that depend on the image's own outputs
 * ("where the category wins") and models whose output size follows the image's are checked per image instead.
 */
export async function checkTargetFlag(text: string, model: LumenModel, output?: string): Promise<void> {
  const spec = await parseTargetFlag(text, model, output);
  const kind = specKind(spec);
  const seg = kind === 'segmentation' ? (spec as SegmentationTarget) : undefined;
  const perImage = seg !== undefined && seg.mask === undefined && seg.box === undefined;
  if (model.dynamicSpatialSize && (kind === 'segmentation' || kind === 'embedding')) {
    requireTargetTensor(model, targetTensor(model, spec));
    return;
  }
  if (perImage) {
    // the winning pixels are known per image only: check the category over the whole map
    const dims = await targetDims(model, model.zeroInput(), targetTensor(model, spec));
    const hw = dims.slice(1).reduce((a, b) => a * b, 1);
    await resolveBatchTargets(model, model.zeroInput(), { ...seg, mask: new Float32Array(hw).fill(1) });
    return;
  }
  await resolveBatchTargets(model, model.zeroInput(), spec);
}
