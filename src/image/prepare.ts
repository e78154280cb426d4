/**
 * An image fitted to a model's input and normalized with the model's normalization: the one preparation behind the
 * Node `loadInput` (src/node/inputs.ts) and the browser entry's `prepareImage`.
 */
import { NORMALIZATION_PRESETS } from '../metadata.js';
import type { LumenModel } from '../model.js';
import type { Tensor } from '../tensor.js';
import { imageToTensor, tensorToImage, type ResizeMode } from './preprocess.js';
import type { RawImage } from './types.js';

export interface PrepareImageOptions {
  /** How an image of another size is fitted to the model's input (default 'stretch', as the CLI). */
  resize?: ResizeMode;
  /** Spatial size when the model does not fix it (default: the image's own size). */
  size?: number;
}

export interface PreparedImage {
  /** [1, C, H, W] (or NHWC, as the model wants), normalized with the model's normalization. */
  tensor: Tensor;
  /** The image as the model sees it (after resize / crop), for overlays. */
  image: RawImage;
}

/** Fit an image to the model's input and normalize it. */
export function prepareImage(raw: RawImage, model: LumenModel, options: PrepareImageOptions = {}): PreparedImage {
  const { height, width } = model.inputSize;
  const tensor = imageToTensor(raw, {
    width: width ?? options.size ?? raw.width,
    height: height ?? options.size ?? raw.height,
    channels: model.channels === 1 ? 1 : 3,
    layout: model.layout,
    normalization: model.normalization ?? NORMALIZATION_PRESETS.unit,
    resize: options.resize ?? 'stretch',
  });
  return preparedTensor(tensor, model);
}

/** A tensor already in the model's input form (a .npy file, or `prepareImage`'s): checked, with the image the model sees. */
export function preparedTensor(tensor: Tensor, model: LumenModel): PreparedImage {
  model.checkInput(tensor);
  return { tensor, image: tensorToImage(tensor, model.normalization ?? NORMALIZATION_PRESETS.unit, model.layout) };
}
