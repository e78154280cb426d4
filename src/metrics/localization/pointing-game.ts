import { relevanceMap } from '../image-scoring.js';
import type { PointingGameDetails } from '../types.js';
import { defineLocalizationMetric } from './define.js';

/**
 * Pointing game (Zhang et al. 2016 "Top-down Neural Attention by Excitation Backprop"): a hit when the map's
 * maximum (first in row-major order on ties) lies in the ground-truth region, or within `tolerance` pixels of it
 * (the paper uses 15 px; Quantus PointingGame uses 0).
 */
export const pointingGame = defineLocalizationMetric({
  id: 'pointing-game',
  title: 'Pointing game',
  summary: '1 when the most relevant pixel falls inside the ground-truth region (within tolerance), else 0; the mean over images is the hit rate.',
  source: 'Zhang et al. 2016/2018 "Top-down Neural Attention by Excitation Backprop" (ECCV/IJCV); Quantus PointingGame',
  options: [{ name: 'tolerance', type: 'number', min: 0, default: 0, description: 'Hit radius around the region in pixels (Euclidean)' }],
  score(ctx, g, mask) {
    const { tolerance } = ctx.options;
    const map = relevanceMap(ctx.attribution, g);
    let best = 0;
    for (let p = 1; p < map.length; p++) if (map[p]! > map[best]!) best = p;
    const by = Math.floor(best / g.width);
    const bx = best % g.width;
    let hit = mask[best] === 1;
    if (!hit && tolerance > 0) {
      const r = Math.ceil(tolerance);
      for (let y = Math.max(0, by - r); y <= Math.min(g.height - 1, by + r) && !hit; y++) {
        for (let x = Math.max(0, bx - r); x <= Math.min(g.width - 1, bx + r); x++) {
          if (mask[y * g.width + x] && (y - by) ** 2 + (x - bx) ** 2 <= tolerance * tolerance) {
            hit = true;
            break;
          }
        }
      }
    }
    return { value: hit ? 1 : 0, details: { maxX: bx, maxY: by } satisfies PointingGameDetails };
  },
});
