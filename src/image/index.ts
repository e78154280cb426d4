/** Browser-safe image inputs: types, decoding from canvas/Blob, preprocessing to tensors, map resizes, .npy. */
export type { RawImage } from './types.js';
export { sniffFileType, SUPPORTED_IMAGE_FORMATS, type ImageFormat, type SniffResult } from './sniff.js';
export { imageFromImageData, imageFromElement, decodeImageBlob, type BrowserDecodeOptions } from './browser-decode.js';
export {
  resolveNormalization,
  toGrayscale,
  toRgb,
  centerCrop,
  resizeBilinear,
  resizeShorterSide,
  imageToTensor,
  imagesToBatch,
  fitImage,
  tensorToImage,
  channelNormalization,
  type NormalizationSpec,
  type TensorLayout,
  type ResizeMode,
  type ToTensorOptions,
} from './preprocess.js';
export { resizeMapBilinear, resizeMapNearest, resizeMapBilinearAlignCorners, nearestIndices } from './resize-map.js';
export { parseNpy, npyToTensor, encodeNpy, type NpyArray, type NpyData, type NpyDtype, type NpyWritable } from '../io/npy.js';
