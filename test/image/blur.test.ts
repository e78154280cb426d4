import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianBlurPlane, mirrorIndex } from '../../src/image/blur.js';

test('mirrorIndex reflects about the end samples without repeating them (cv2 BORDER_REFLECT_101, numpy reflect)', () => {
  // numpy.pad(arange(4), 6, mode='reflect') = 0 1 2 3 2 1 | 0 1 2 3 | 2 1 0 1 2 3
  assert.deepEqual(Array.from({ length: 16 }, (_, k) => mirrorIndex(k - 6, 4)), [0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3]);
  assert.deepEqual([-3, -1, 0, 2, 5].map((i) => mirrorIndex(i, 1)), [0, 0, 0, 0, 0]);
  // the blur's 'mirror' border reads it: a 3-tap box over [1, 2, 3] sees 2 left of 1 and 2 right of 3
  const box = gaussianBlurPlane([1, 2, 3], 1, 3, { size: 3, sigma: 1e9, border: 'mirror' });
  assert.deepEqual(Array.from(box, (v) => Math.round(v * 1e12) / 1e12), [5 / 3, 2, 7 / 3].map((v) => Math.round(v * 1e12) / 1e12));
});
