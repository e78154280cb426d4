import type { RawImage } from '../image/types.js';
import { colorFor, type Color } from './canvas.js';

/**
 * A 5×7 bitmap font for printable ASCII, drawn in code so labels need no system font.
 * Capitals and digits fill rows 0–6 (row 6 is the baseline row); g, j, p, q, y, ',' and ';' and '_' use
 * two more rows below it. Each glyph advances 6 pixels; lines are 10 pixels apart (all × scale).
 */
export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 9;
export const CHAR_ADVANCE = 6;
export const LINE_HEIGHT = 10;
/** Height of capitals and digits (rows above the descender). */
export const CAP_HEIGHT = 7;

// One string per glyph: rows top to bottom separated by spaces, '#' = ink.
const GLYPH_ROWS: Record<string, string> = {
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. .#.#. ..... ..... ..... .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  $: '..#.. .#### #.#.. .###. ..#.# ####. ..#..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. ..#.. ..... ..... ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... ..... .##.. .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. .##.. ..#.. .#... .....',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  '\\': '..... #.... .#... ..#.. ...#. ....# .....',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '^': '..#.. .#.#. #...# ..... ..... ..... .....',
  _: '..... ..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#.. ...#. ..... ..... ..... .....',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .#### #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...',
  '~': '..... ..... .#... #.#.# ...#. ..... .....',
};

// Common non-ASCII characters drawn with their closest ASCII glyph.
const ALIASES: Record<string, string> = { '−': '-', '–': '-', '—': '-', '×': 'x', '·': '.', '…': '.', '’': "'", '‘': "'" };

/** Each glyph as GLYPH_HEIGHT row bitmasks (bit 4 = leftmost column). */
const GLYPHS: ReadonlyMap<string, Uint8Array> = new Map(
  Object.entries(GLYPH_ROWS).map(([ch, rows]) => {
    const bits = new Uint8Array(GLYPH_HEIGHT);
    rows.split(' ').forEach((row, r) => {
      for (let c = 0; c < GLYPH_WIDTH; c++) if (row[c] === '#') bits[r] |= 1 << (GLYPH_WIDTH - 1 - c);
    });
    return [ch, bits];
  }),
);

/** The characters the font draws (anything else is drawn as '?'). */
export const FONT_CHARACTERS: string = Object.keys(GLYPH_ROWS)
  .sort((a, b) => a.charCodeAt(0) - b.charCodeAt(0))
  .join('');

function glyphFor(ch: string): Uint8Array {
  return GLYPHS.get(ch) ?? GLYPHS.get(ALIASES[ch] ?? '?') ?? GLYPHS.get('?')!;
}

/** Size of the box `drawText` covers: widest line × lines (the last line includes descender rows). */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  const lines = text.split('\n');
  const longest = Math.max(...lines.map((l) => [...l].length));
  return {
    width: longest === 0 ? 0 : (longest * CHAR_ADVANCE - (CHAR_ADVANCE - GLYPH_WIDTH)) * scale,
    height: ((lines.length - 1) * LINE_HEIGHT + GLYPH_HEIGHT) * scale,
  };
}

/**
 * Draw `text` with its top-left corner at (x, y), each font pixel a scale×scale block (in place, clipped).
 * '\n' starts a new line. Returns the box that was covered (as `measureText`).
 */
export function drawText(
  canvas: RawImage,
  x: number,
  y: number,
  text: string,
  color: Color,
  scale = 1,
): { width: number; height: number } {
  const s = Math.max(1, Math.floor(scale));
  const px = colorFor(color, canvas.channels);
  const lines = text.split('\n');
  lines.forEach((line, li) => {
    let cx = x;
    const top = y + li * LINE_HEIGHT * s;
    for (const ch of line) {
      const bits = glyphFor(ch);
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        const row = bits[r]!;
        if (row === 0) continue;
        for (let c = 0; c < GLYPH_WIDTH; c++) {
          if ((row & (1 << (GLYPH_WIDTH - 1 - c))) === 0) continue;
          paintBlock(canvas, cx + c * s, top + r * s, s, px);
        }
      }
      cx += CHAR_ADVANCE * s;
    }
  });
  return measureText(text, s);
}

function paintBlock(canvas: RawImage, x: number, y: number, size: number, px: number[]): void {
  for (let yy = Math.max(0, y); yy < Math.min(canvas.height, y + size); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(canvas.width, x + size); xx++) {
      canvas.data.set(px, (yy * canvas.width + xx) * canvas.channels);
    }
  }
}
