import { LumenError } from '../errors.js';
import type { RawImage } from '../image/types.js';
import { npyToTensor } from '../io/npy.js';
import type { Tensor } from '../tensor.js';

/** A segmentation mask read from a file: H·W values (weights; 0 = outside). */
export interface TargetMask {
  data: Float32Array;
  height: number;
  width: number;
}

/** A mask picture (PNG/JPEG, decoded): its non-black pixels are inside (1), black ones outside (0). */
export function maskFromImage(img: RawImage): TargetMask {
  const data = new Float32Array(img.width * img.height);
  for (let p = 0; p < data.length; p++) {
    let on = false;
    for (let c = 0; c < Math.min(img.channels, 3); c++) on ||= img.data[p * img.channels + c]! > 0;
    data[p] = on ? 1 : 0;
  }
  return { data, height: img.height, width: img.width };
}

/** A mask .npy (its bytes): see maskFromTensor. `name` is for the errors. */
export function maskFromNpy(bytes: Uint8Array, name: string): TargetMask {
  let t: Tensor;
  try {
    t = npyToTensor(bytes);
  } catch (e) {
    throw new LumenError('BAD_OPTION', `${name}: ${e instanceof Error ? e.message : String(e)}`, 2);
  }
  return maskFromTensor(t, name);
}

/** A mask array: [H, W] or [1, H, W] values, used as weights. */
export function maskFromTensor(t: Tensor, name: string): TargetMask {
  const dims = t.dims.filter((d, i) => !(d === 1 && i < t.rank - 2));
  if (dims.length !== 2) throw new LumenError('BAD_OPTION', `${name}: a mask .npy must be [H, W], got [${t.dims.join(', ')}]`, 2);
  return { data: t.data, height: dims[0]!, width: dims[1]! };
}
