import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MARKER_BOX, MARKER_COLOURS } from '../../src/datasets/shapes.js';
import type { Method } from '../../src/methods/types.js';
import type { LumenModel } from '../../src/model.js';
import { parseShortcutSplit, type ShortcutSplit } from '../../src/shortcut/split.js';
import { resolveTargets } from '../../src/targets/index.js';
import { Tensor } from '../../src/tensor.js';
import { linearModel } from '../metrics/helpers.js';

export const SPLIT_DIR = join(import.meta.dirname, '..', '..', 'samples', 'shapes');

export function readSplit(): ShortcutSplit {
  return parseShortcutSplit(JSON.parse(readFileSync(join(SPLIT_DIR, 'split.json'), 'utf8')));
}

const SIZE = 64;
const PIXELS = SIZE * SIZE;

/**
 * Stand-in "shortcut" model that reads only the marker's 4×4 interior: logit_k = −Σ ‖x_p − colour_k‖² up to a term
 * that is the same for every class, i.e. 2·x_p·colour_k − ‖colour_k‖² summed over the interior pixels (x = u8/255,
 * the split's unit normalization). Its prediction is the class of the nearest marker colour, whatever the shape.
 * Built by linearModel (Flatten → Gemm); returns the weights too ([class][c·H·W], NCHW).
 */
export function markerReaderModel(): { model: LumenModel; weights: Float32Array[] } {
  const [x0, y0, x1, y1] = MARKER_BOX;
  const weights = MARKER_COLOURS.map(() => new Float32Array(3 * PIXELS));
  const bias = MARKER_COLOURS.map(() => 0);
  MARKER_COLOURS.forEach((colour, k) => {
    for (let y = y0 + 1; y < y1 - 1; y++) {
      for (let x = x0 + 1; x < x1 - 1; x++) {
        for (let c = 0; c < 3; c++) {
          const v = colour[c]! / 255;
          weights[k]![c * PIXELS + y * SIZE + x] = 2 * v;
          bias[k]! -= v * v;
        }
      }
    }
  });
  const model = linearModel(3, SIZE, SIZE, weights, bias, 'NCHW', {
    name: 'marker-reader',
    source: 'marker-reader',
    metadata: { classes: ['circle', 'square', 'triangle', 'star', 'cross'], normalization: { mean: [0, 0, 0], std: [1, 1, 1] } },
  });
  return { model, weights };
}

/** Exact contributions w_target ⊙ x of a linear model, input-shaped ([N,3,H,W]), as a registered method would return. */
export function contributionsMethod(weights: readonly Float32Array[]): Method {
  return {
    info: {
      id: 'exact-contributions',
      aliases: [],
      title: 'Exact contributions (test)',
      family: 'gradient',
      summary: 'w ⊙ x of a linear model',
      needsGradients: false,
      needsBaseline: false,
      needsLayer: false,
      output: 'input',
      signed: true,
      cost: '1 forward',
      options: [],
    },
    async explain(model, input, options = {}) {
      const n = input.dims[0]!;
      const { logits } = await model.forward(input);
      const { classes } = resolveTargets(options.target, logits);
      const out = new Float32Array(input.size);
      for (let b = 0; b < n; b++) {
        const w = weights[classes[b]!]!;
        for (let i = 0; i < 3 * PIXELS; i++) out[b * 3 * PIXELS + i] = w[i]! * input.data[b * 3 * PIXELS + i]!;
      }
      return { method: 'exact-contributions', attribution: new Tensor(out, input.dims), targets: classes, extras: {}, timings: { compileMs: 0, runMs: 0 } };
    },
  };
}
