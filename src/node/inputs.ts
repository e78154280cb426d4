import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { LumenError } from '../errors.js';
import { describeValue } from '../options.js';
import { prepareImage, preparedTensor, type PrepareImageOptions, type PreparedImage } from '../image/prepare.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { readImageFile } from './image-file.js';
import { readNpyTensor } from './npy-file.js';

/** An input file prepared for a model (`tensor`, `image`: as `prepareImage` gives them) and its path. */
export interface LoadedInput extends PreparedImage {
  path: string;
}

/** How an image is fitted to the model's input (`resize`, `size`): the browser's `prepareImage` options. */
export type InputOptions = PrepareImageOptions;

/** Read an image (PNG/JPEG/WebP) or an exact .npy tensor and prepare it for `model`. */
export async function loadInput(path: string, model: LumenModel, options: InputOptions = {}): Promise<LoadedInput> {
  if (typeof path !== 'string') throw new LumenError('BAD_OPTION', `loadInput: the path must be a string, got ${describeValue(path)}`, 2);
  if (model === null || typeof model !== 'object' || !('inputSize' in model)) throw new LumenError('BAD_OPTION', `loadInput: the second argument must be a loaded model, got ${describeValue(model)}`, 2);
  if (!existsSync(path)) throw new LumenError('FILE_NOT_FOUND', `input not found: ${path}`);
  if (extname(path).toLowerCase() === '.npy') {
    const tensor = await readNpyTensor(path);
    return { path, ...preparedTensor(tensor.rank === 3 ? tensor.reshape([1, ...tensor.dims]) : tensor, model) };
  }
  return { path, ...prepareImage(await readImageFile(path), model, options) };
}

/** Stack single-image tensors into one batch. */
export function stackInputs(inputs: readonly LoadedInput[]): Tensor {
  return Tensor.concat(inputs.map((i) => i.tensor));
}

/** Loaded images grouped by tensor shape, in first-seen order (one group unless the model's input size is open). */
export function groupBySize(loaded: readonly LoadedInput[]): LoadedInput[][] {
  const groups = new Map<string, LoadedInput[]>();
  for (const l of loaded) {
    const key = l.tensor.dims.join('x');
    const list = groups.get(key);
    if (list) list.push(l);
    else groups.set(key, [l]);
  }
  return [...groups.values()];
}
