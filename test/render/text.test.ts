import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHAR_ADVANCE, FONT_CHARACTERS, GLYPH_HEIGHT, GLYPH_WIDTH, createImage, drawText, measureText } from '../../src/render/index.js';
import type { RawImage } from '../../src/image/types.js';

const BLACK = [0, 0, 0] as const;
const RED = [255, 0, 0] as const;

/** The ink of an RGB canvas as rows of '#'/'.' (ink = not the background colour). */
function inkRows(img: RawImage, x0: number, y0: number, w: number, h: number, ink: readonly number[]): string[] {
  const rows: string[] = [];
  for (let y = y0; y < y0 + h; y++) {
    let row = '';
    for (let x = x0; x < x0 + w; x++) {
      const at = (y * img.width + x) * img.channels;
      row += ink.every((v, c) => img.data[at + c] === v) ? '#' : '.';
    }
    rows.push(row);
  }
  return rows;
}

function countInk(img: RawImage, ink: readonly number[]): number {
  return inkRows(img, 0, 0, img.width, img.height, ink).join('').split('#').length - 1;
}

test('drawText draws the glyph in the requested colour inside its box, nothing outside', () => {
  const canvas = createImage(20, 16, 3, BLACK);
  const box = drawText(canvas, 2, 3, 'A', RED);
  assert.deepEqual(box, { width: 5, height: 9 });
  assert.deepEqual(inkRows(canvas, 2, 3, 5, 7, RED), ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#']);
  // all red pixels are inside the 5×7 box: 3 + 5·2 + 5 = 18 of them
  assert.equal(countInk(canvas, RED), 18);
  assert.deepEqual(Array.from(canvas.data.subarray(((3 * 20) + 3) * 3, ((3 * 20) + 3) * 3 + 3)), [255, 0, 0]);
  assert.deepEqual(Array.from(canvas.data.subarray(((3 * 20) + 2) * 3, ((3 * 20) + 2) * 3 + 3)), [0, 0, 0]);
});

test('scale makes every font pixel a block; descenders go below the baseline', () => {
  const canvas = createImage(12, 20, 3, [255, 255, 255]);
  drawText(canvas, 0, 0, 'I', BLACK, 2);
  // 'I' top row '.###.' → x 2..7 black in rows 0 and 1 at scale 2.
  assert.deepEqual(inkRows(canvas, 0, 0, 10, 2, BLACK), ['..######..', '..######..']);
  assert.equal(countInk(canvas, BLACK), 4 * (3 + 5 + 3));
  const g = createImage(5, 9, 1, [0]);
  drawText(g, 0, 0, 'g', [255]);
  assert.deepEqual(inkRows(g, 0, 7, 5, 2, [255]), ['....#', '.###.']);
});

test('gray and RGBA canvases get the colour in their own channel layout', () => {
  const gray = createImage(6, 9, 1, [0]);
  drawText(gray, 0, 0, '|', [255, 255, 255]);
  assert.equal(gray.data[2], 255);
  const rgba = createImage(6, 9, 4, [0, 0, 0, 0]);
  drawText(rgba, 0, 0, '|', [10, 20, 30]);
  assert.deepEqual(Array.from(rgba.data.subarray(8, 12)), [10, 20, 30, 255]);
});

test('measureText: 6-pixel advance, 10-pixel lines', () => {
  assert.deepEqual(measureText('ab'), { width: 11, height: 9 });
  assert.deepEqual(measureText('ab\nc', 2), { width: 22, height: 38 });
  assert.deepEqual(measureText(''), { width: 0, height: 9 });
  const canvas = createImage(30, 30, 3, BLACK);
  drawText(canvas, 0, 0, 'x\ny', RED);
  assert.ok(countInk(canvas, RED) > 0);
  assert.equal(inkRows(canvas, 0, 10, 5, 9, RED).join('').includes('#'), true);
});

test('every printable ASCII character has its own glyph inside the 5×9 box; unknown characters draw as ?', () => {
  assert.equal(FONT_CHARACTERS.length, 95);
  const seen = new Map<string, string>();
  for (const ch of FONT_CHARACTERS) {
    const canvas = createImage(CHAR_ADVANCE + 2, GLYPH_HEIGHT + 2, 1, [0]);
    drawText(canvas, 1, 1, ch, [255]);
    const all = inkRows(canvas, 0, 0, canvas.width, canvas.height, [255]);
    const inside = inkRows(canvas, 1, 1, GLYPH_WIDTH, GLYPH_HEIGHT, [255]);
    assert.equal(all.join('').split('#').length, inside.join('').split('#').length, `glyph '${ch}' spills out of its box`);
    if (ch !== ' ') assert.ok(inside.join('').includes('#'), `glyph '${ch}' is empty`);
    const key = inside.join('/');
    assert.equal(seen.get(key), undefined, `'${ch}' looks the same as '${seen.get(key)}'`);
    seen.set(key, ch);
  }
  const q = createImage(5, 9, 1, [0]);
  const unknown = createImage(5, 9, 1, [0]);
  drawText(q, 0, 0, '?', [255]);
  drawText(unknown, 0, 0, '\u00e9', [255]);
  assert.deepEqual(unknown.data, q.data);
});
