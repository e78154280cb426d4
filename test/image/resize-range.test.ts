import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeMapBilinear, type ValueRange } from '../../src/image/resize-map.js';
import { Random } from '../../src/random.js';

// resizeMapBilinear's optional `range` (used by CAM post-processing to skip a min/max pass) must be exactly the min
// and max of what it wrote, and asking for it must not change a single output value.
test('resizeMapBilinear range: the exact min and max of the output, which is unchanged', () => {
  const rng = new Random(11);
  for (const [inW, inH, outW, outH] of [[7, 7, 224, 224], [14, 9, 160, 96], [1, 1, 5, 5], [3, 2, 3, 2], [40, 40, 7, 7]] as const) {
    for (let t = 0; t < 5; t++) {
      const scale = 10 ** (rng.next() * 8 - 4);
      const map = Float32Array.from({ length: inW * inH }, () => (rng.next() - 0.4) * scale);
      const plain = resizeMapBilinear(map, inW, inH, outW, outH);
      const range: ValueRange = { min: Number.NaN, max: Number.NaN };
      const withRange = resizeMapBilinear(map, inW, inH, outW, outH, undefined, range);
      assert.deepEqual(withRange, plain);
      assert.equal(range.min, Math.min(...plain));
      assert.equal(range.max, Math.max(...plain));
    }
  }
});
