import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blit,
  colorBar,
  colormap,
  createImage,
  formatTick,
  getPixel,
  makeGrid,
  measureText,
  resizeNearest,
  upscaleNearest,
  withColorBar,
} from '../../src/render/index.js';
import type { RawImage } from '../../src/image/types.js';

const solid = (w: number, h: number, rgb: [number, number, number]): RawImage => createImage(w, h, 3, rgb);
const lutEntry = (name: string, i: number): number[] => Array.from(colormap(name).subarray(i * 3, i * 3 + 3));

test('canvas: upscaleNearest, resizeNearest, blit with gray and alpha', () => {
  const two: RawImage = { width: 2, height: 1, channels: 1, data: Uint8Array.from([10, 200]) };
  const big = upscaleNearest(two, 3);
  assert.deepEqual([big.width, big.height], [6, 3]);
  assert.deepEqual(Array.from(big.data.subarray(12, 18)), [10, 10, 10, 200, 200, 200]);
  const small = resizeNearest(big, 2, 1);
  assert.deepEqual(Array.from(small.data), [10, 200]);
  const dst = createImage(3, 1, 3, [0, 0, 0]);
  blit(dst, two, 1, 0);
  assert.deepEqual(Array.from(dst.data), [0, 0, 0, 10, 10, 10, 200, 200, 200]);
  const half: RawImage = { width: 1, height: 1, channels: 4, data: Uint8Array.from([255, 0, 0, 128]) };
  blit(dst, half, 0, 0);
  assert.deepEqual(Array.from(dst.data.subarray(0, 3)), [128, 0, 0]);
  blit(dst, half, 5, 5); // fully outside: no-op, no throw
});

test('makeGrid: dimensions, cell positions and header pixels', () => {
  const colors: [number, number, number][][] = [
    [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
    [[255, 255, 0], [0, 255, 255], [255, 0, 255]],
  ];
  const cells = colors.map((row) => row.map((c) => ({ image: solid(4, 4, c) })));
  const grid = makeGrid(cells, { padding: 2, columnHeaders: ['A', 'B', 'C'], rowHeaders: ['r1', 'r2'] });
  // width: pad 2 + row-header 11 ('r1') + pad 2 + 3 columns of max(4, 'A' = 5) + 3 pads = 36
  // height: pad 2 + header 9 + pad 2 + 2 rows of 4 + 2 pads = 25
  assert.deepEqual([grid.width, grid.height, grid.channels], [36, 25, 3]);
  assert.deepEqual(grid.layout.cells[0]![0], { x: 15, y: 13, width: 4, height: 4 });
  assert.deepEqual(grid.layout.cells[1]![2], { x: 29, y: 19, width: 4, height: 4 });
  assert.deepEqual(getPixel(grid, 15, 13), [255, 0, 0]);
  assert.deepEqual(getPixel(grid, 25, 22), [0, 255, 255]);
  assert.deepEqual(getPixel(grid, 32, 22), [255, 0, 255]);
  assert.deepEqual(getPixel(grid, 14, 13), [255, 255, 255]); // padding is background
  // 'A' over column 0 at (15, 2): top row '.###.'
  assert.deepEqual(grid.layout.columnHeaders[0], { x: 15, y: 2, width: 5, height: 9 });
  assert.deepEqual(getPixel(grid, 15, 2), [255, 255, 255]);
  assert.deepEqual(getPixel(grid, 16, 2), [0, 0, 0]);
  // 'r1' left of row 0 at (2, 13): 'r' row 2 is '#.##.'
  assert.deepEqual(grid.layout.rowHeaders[0], { x: 2, y: 13, width: 11, height: 9 });
  assert.deepEqual(getPixel(grid, 2, 15), [0, 0, 0]);
  assert.deepEqual(getPixel(grid, 3, 15), [255, 255, 255]);
});

test('makeGrid: labels under images, auto upscale of tiny images, empty cells, title', () => {
  const tiny: RawImage = { width: 28, height: 28, channels: 1, data: new Uint8Array(28 * 28).fill(0) };
  const grid = makeGrid([[{ image: tiny, label: ['cat', '0.93'] }, null]], { upscale: 'auto', title: 'T', padding: 4 });
  // 28 → ×4 = 112 (the smallest factor reaching 96); labels: gap 2 + 2 lines (10 + 9) = 21
  const cell = grid.layout.cells[0]![0]!;
  assert.deepEqual(cell, { x: 4, y: 4 + 9 + 4, width: 112, height: 112 });
  assert.equal(grid.layout.cells[0]![1], null);
  assert.equal(grid.height, 4 + 9 + 4 + 112 + 21 + 4);
  assert.deepEqual(getPixel(grid, cell.x + 111, cell.y + 111), [0, 0, 0]);
  // label 'cat' centred under the image: width 17 → x = 4 + floor((112 - 17) / 2) = 51, y = 17 + 112 + 2
  const labelTop = cell.y + 112 + 2;
  let ink = 0;
  for (let y = labelTop; y < labelTop + 9; y++) for (let x = 51; x < 51 + 17; x++) if (getPixel(grid, x, y)[0] === 0) ink++;
  assert.ok(ink > 10, `label ink ${ink}`);
  assert.deepEqual(getPixel(grid, 50, labelTop + 3), [255, 255, 255]);
  assert.ok(grid.layout.title!.x > 0);
});

test('colorBar (vertical): gradient ends, tick positions and labels', () => {
  const bar = colorBar('jet', { width: 10, height: 100, min: -1, max: 1, ticks: 3 });
  assert.deepEqual(bar.bar, { x: 4, y: 8, width: 10, height: 100 });
  assert.deepEqual(getPixel(bar, 4, 8), lutEntry('jet', 255)); // top = max
  assert.deepEqual(getPixel(bar, 13, 8 + 99), lutEntry('jet', 0)); // bottom = min
  assert.deepEqual(bar.ticks.map((t) => [t.value, t.label, t.at]), [[-1, '-1', 107], [0, '0', 57], [1, '1', 8]]);
  // 0 sits round(0.5 · 99) = 50 rows above the bottom row 107
  assert.deepEqual(getPixel(bar, 14, 57), [0, 0, 0]); // tick mark right of the bar
  assert.deepEqual(getPixel(bar, 14, 58), [255, 255, 255]);
  // width: bar 4..14, tick 3, gap 2, widest label '-1' (11) + pad 4 = 34; height 8 + 100 + 4 + 4
  assert.deepEqual([bar.width, bar.height], [34, 116]);
  const labelInk = [0, 1, 2, 3, 4, 5, 6].some((dy) => getPixel(bar, 19 + 2, 57 - 3 + dy)[0] === 0);
  assert.ok(labelInk, 'the 0 label is drawn next to its tick');
});

test('colorBar (horizontal): min at the left, labels below', () => {
  const bar = colorBar('viridis', { orientation: 'horizontal', width: 8, height: 64, ticks: [0, 0.5, 1] });
  const { x, y, width, height } = bar.bar;
  assert.deepEqual([width, height], [64, 8]);
  assert.deepEqual(getPixel(bar, x, y), lutEntry('viridis', 0));
  assert.deepEqual(getPixel(bar, x + 63, y + 7), lutEntry('viridis', 255));
  assert.deepEqual(bar.ticks.map((t) => t.at - x), [0, 32, 63]);
  assert.equal(bar.height, y + 8 + 3 + 2 + 7 + 4);
  assert.equal(x, 4 + Math.ceil(measureText('0').width / 2));
});

test('withColorBar puts a bar as tall as the image on its right', () => {
  const image = createImage(100, 80, 3, [10, 20, 30]);
  const out = withColorBar(image, 'jet', { width: 8 });
  // bar length 80 − 2·(4 + 4) = 64 → bar image height 8 + 64 + 4 + 4 = 80
  assert.equal(out.height, 80);
  assert.deepEqual(getPixel(out, 99, 79), [10, 20, 30]);
  assert.deepEqual(getPixel(out, 100 + 4, 8), lutEntry('jet', 255));
  assert.deepEqual(getPixel(out, 100 + 4 + 7, 8 + 63), lutEntry('jet', 0));
  assert.deepEqual(getPixel(out, 100 + 4, 8 + 64), [255, 255, 255]);
  // a tiny image still gets a 32-pixel bar, and the canvas grows to hold it
  const tiny = withColorBar(createImage(28, 28, 1, [0]), 'viridis');
  assert.equal(tiny.height, 8 + 32 + 4 + 4);
});

test('formatTick', () => {
  assert.deepEqual([0, -0, 1, -1, 0.25, 1 / 3, 1234.5678, 1e-7].map(formatTick), ['0', '0', '1', '-1', '0.25', '0.333', '1230', '1e-7']);
});
