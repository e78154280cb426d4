// TEMPORARY stand-in until src/image/browser-decode.ts lands (deleted then).
import { imageDataFromElement, rawImageFromImageData, type RawImage } from '../../src/browser.js';

export async function decodeImageBlob(blob: Blob): Promise<RawImage> {
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  return rawImageFromImageData(imageDataFromElement(bmp));
}
