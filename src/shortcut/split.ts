import { LumenError } from '../errors.js';
import type { Box as PixelBox } from '../datasets/shapes.js';
import type { Box } from '../metrics/types.js';

/** One image of a "spot the shortcut" split (`samples/shapes/split.json`). */
export interface ShortcutSplitEntry {
  /** Image file, relative to the split folder. */
  file: string;
  /** Binary mask file (0/255), relative to the split folder, when the split has masks. */
  mask?: string;
  index: number;
  label: number;
  className: string;
  /** Tight object box [x0, y0, x1, y1], x1/y1 exclusive. */
  box: PixelBox;
  marker: { present: boolean; box: PixelBox; classIndex: number | null; consistent: boolean };
}

export interface ShortcutSplit {
  classes: string[];
  seed?: number;
  entries: ShortcutSplitEntry[];
}

/** Validate and type the parsed JSON of a split file (browser-safe: the caller reads the file). */
export function parseShortcutSplit(json: unknown, source = 'split.json'): ShortcutSplit {
  const bad = (what: string): never => {
    throw new LumenError('BAD_OPTION', `${source}: ${what}`);
  };
  if (typeof json !== 'object' || json === null) return bad('not a JSON object');
  const root = json as Record<string, unknown>;
  const classes = root['classes'];
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) return bad('"classes" must be an array of names');
  const images = root['images'];
  if (!Array.isArray(images)) return bad('"images" must be an array');
  const entries = images.map((raw: unknown, i): ShortcutSplitEntry => {
    const e = raw as Record<string, unknown>;
    const marker = e['marker'] as Record<string, unknown> | undefined;
    if (typeof e['file'] !== 'string' || typeof e['label'] !== 'number' || !isBox(e['box'])) {
      return bad(`images[${i}] needs file, label and box [x0, y0, x1, y1]`);
    }
    if (!marker || typeof marker['present'] !== 'boolean' || !isBox(marker['box'])) return bad(`images[${i}].marker needs present and box`);
    return {
      file: e['file'],
      mask: typeof e['mask'] === 'string' ? e['mask'] : undefined,
      index: typeof e['index'] === 'number' ? e['index'] : i,
      label: e['label'],
      className: typeof e['className'] === 'string' ? e['className'] : (classes[e['label']] as string | undefined) ?? String(e['label']),
      box: e['box'],
      marker: {
        present: marker['present'],
        box: marker['box'],
        classIndex: typeof marker['classIndex'] === 'number' ? marker['classIndex'] : null,
        consistent: marker['consistent'] === true,
      },
    };
  });
  return { classes: classes as string[], seed: typeof root['seed'] === 'number' ? root['seed'] : undefined, entries };
}

function isBox(v: unknown): v is PixelBox {
  return Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** [x0, y0, x1, y1] → the metrics' `{x0, y0, x1, y1}`. */
export function toMetricBox([x0, y0, x1, y1]: PixelBox): Box {
  return { x0, y0, x1, y1 };
}
