import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeImageBlob, imageFromImageData } from '../../src/image/browser-decode.js';

/** Node has no ImageData; the decoder only reads width, height and data. */
function fakeImageData(width: number, height: number, rgba: number[]): ImageData {
  return { width, height, data: Uint8ClampedArray.from(rgba), colorSpace: 'srgb' } as ImageData;
}

test('imageFromImageData drops alpha by default and keeps it when asked', () => {
  const data = fakeImageData(2, 1, [1, 2, 3, 0, 250, 251, 252, 255]);
  const rgb = imageFromImageData(data);
  assert.deepEqual([rgb.width, rgb.height, rgb.channels, ...rgb.data], [2, 1, 3, 1, 2, 3, 250, 251, 252]);
  const rgba = imageFromImageData(data, { keepAlpha: true });
  assert.deepEqual([rgba.channels, ...rgba.data], [4, 1, 2, 3, 0, 250, 251, 252, 255]);
  // A copy: later canvas writes do not change the image.
  data.data[0] = 99;
  assert.equal(rgba.data[0], 1);
});

test('decodeImageBlob refuses empty and non-image blobs before decoding, naming the content', async () => {
  await assert.rejects(decodeImageBlob(new Blob([])), { code: 'BAD_IMAGE', message: /empty \(0 bytes\)/ });
  const text = new File(['just some notes\n'], 'notes.png', { type: 'image/png' });
  await assert.rejects(decodeImageBlob(text), { code: 'BAD_IMAGE', message: /notes\.png: not an image, the content looks like: text file/ });
  const npy = new Blob([Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])]);
  await assert.rejects(decodeImageBlob(npy), { code: 'BAD_IMAGE', message: /NumPy \.npy array/ });
});
