import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activationGrid, getPixel } from '../../src/render/index.js';
import { LumenError } from '../../src/errors.js';
import { Tensor } from '../../src/tensor.js';

// 4 channels of 2×2: means 1, 5, 3, 5 (channel 3 is constant).
const acts = new Tensor(
  Float32Array.from([
    ...[1, 1, 1, 1], // ch 0
    ...[0, 10, 2, 8], // ch 1
    ...[3, 3, 2, 4], // ch 2
    ...[5, 5, 5, 5], // ch 3
  ]),
  [1, 4, 2, 2],
);

test('activationGrid picks the top-N channels by mean (ties: lower index) and lays them out with labels', () => {
  const grid = activationGrid(acts, { topN: 3, cellSize: 4 });
  assert.deepEqual(grid.shownChannels, [1, 3, 2]);
  assert.deepEqual(grid.means, [5, 5, 3]);
  // 2 columns (ceil √3); each column as wide as 'ch 1' (23 px); label band 2 + 9.
  assert.deepEqual([grid.width, grid.height], [4 + 23 + 4 + 23 + 4, 4 + (4 + 11 + 4) * 2]);
  const c1 = grid.layout.cells[0]![0]!;
  assert.deepEqual(c1, { x: 4 + 9, y: 4, width: 4, height: 4 });
  // channel 1 min-max: [0, 1, 0.2, 0.8], each value a 2×2 block after upscaling to 4×4 (viridis).
  assert.deepEqual(getPixel(grid, c1.x, c1.y), [68, 1, 84]);
  assert.deepEqual(getPixel(grid, c1.x + 3, c1.y + 1), [253, 231, 37]);
  // constant channel 3 → the first colour everywhere
  const c3 = grid.layout.cells[0]![1]!;
  assert.deepEqual(getPixel(grid, c3.x + 3, c3.y + 3), [68, 1, 84]);
  assert.equal(grid.layout.cells[1]![0]!.y, 4 + 4 + 11 + 4);
  // the label 'ch 1' is drawn in black under the first cell
  let ink = 0;
  for (let y = 4 + 4 + 2; y < 4 + 4 + 11; y++) for (let x = 4; x < 27; x++) if (getPixel(grid, x, y)[0] === 0) ink++;
  assert.ok(ink > 20, `label ink ${ink}`);
});

test('activationGrid: NHWC, default topN larger than C, errors', () => {
  const nhwc = new Float32Array(16);
  for (let c = 0; c < 4; c++) for (let p = 0; p < 4; p++) nhwc[p * 4 + c] = acts.data[c * 4 + p]!;
  const grid = activationGrid(new Tensor(nhwc, [1, 2, 2, 4]), { layout: 'NHWC', cellSize: 4 });
  assert.deepEqual(grid.shownChannels, [1, 3, 2, 0]);
  assert.throws(() => activationGrid(Tensor.zeros([2, 4, 2, 2])), LumenError);
  assert.throws(() => activationGrid(Tensor.zeros([4, 4])), LumenError);
});
