import { readFileSync, existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { LumenError } from '../errors.js';
import { describeValue } from '../options.js';
import { imageToTensor, tensorToImage } from '../image/preprocess.js';
import type { RawImage } from '../image/types.js';
import { npyToTensor } from '../io/npy.js';
import { NORMALIZATION_PRESETS } from '../metadata.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { readImageFile } from './image-file.js';

export interface LoadedInput {
  path: string;
  /** [1, C, H, W] (or NHWC, as the model wants), normalized. */
  tensor: Tensor;
  /** The image as the model sees it (after resize/crop), for overlays. */
  image: RawImage;
}

export interface InputOptions {
  resize?: 'stretch' | 'center-crop' | 'none';
  /** Spatial size when the model does not fix it. */
  size?: number;
}

/** Read an image (PNG/JPEG/WebP) or an exact .npy tensor and prepare it for `model`. */
export async function loadInput(path: string, model: LumenModel, options: InputOptions = {}): Promise<LoadedInput> {
  if (typeof path !== 'string') throw new LumenError('BAD_OPTION', `loadInput: the path must be a string, got ${describeValue(path)}`, 2);
  if (model === null || typeof model !== 'object' || !('inputSize' in model)) throw new LumenError('BAD_OPTION', `loadInput: the second argument must be a loaded model, got ${describeValue(model)}`, 2);
  if (!existsSync(path)) throw new LumenError('FILE_NOT_FOUND', `input not found: ${path}`);
  const normalization = model.normalization ?? NORMALIZATION_PRESETS.unit;
  const { height, width } = model.inputSize;
  if (extname(path).toLowerCase() === '.npy') {
    if (!statSync(path).isFile()) throw new LumenError('BAD_IMAGE', `${path} is not a regular file, not a .npy tensor`);
    let tensor: Tensor;
    try {
      tensor = npyToTensor(new Uint8Array(readFileSync(path)));
    } catch (e) {
      throw new LumenError('BAD_IMAGE', `${path}: not a readable .npy tensor (${e instanceof Error ? e.message : String(e)})`);
    }
    if (tensor.rank === 3) tensor = tensor.reshape([1, ...tensor.dims]);
    model.checkInput(tensor);
    return { path, tensor, image: tensorToImage(tensor, normalization, model.layout) };
  }
  const raw = await readImageFile(path);
  const w = width ?? options.size ?? raw.width;
  const h = height ?? options.size ?? raw.height;
  const tensor = imageToTensor(raw, {
    width: w,
    height: h,
    channels: model.channels === 1 ? 1 : 3,
    layout: model.layout,
    normalization,
    resize: options.resize ?? 'stretch',
  });
  model.checkInput(tensor);
  return { path, tensor, image: tensorToImage(tensor, normalization, model.layout) };
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
