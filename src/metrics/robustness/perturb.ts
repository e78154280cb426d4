import { drawPerturbations, requireExplain, throwIfAborted } from '../image-scoring.js';
import { Tensor } from '../../tensor.js';
import type { MetricContext } from '../types.js';

/**
 * Explain `count` perturbed copies x + δ_i of the image (δ from `noise`), `batchSize` per explain call.
 * Returns the perturbations and the attributions (same shape as the original one).
 */
export async function explainPerturbed(
  ctx: MetricContext,
  metric: string,
  count: number,
  noise: () => number,
): Promise<{ deltas: Float32Array[]; attributions: Float32Array[] }> {
  const explain = requireExplain(ctx, metric);
  const per = ctx.input.size;
  const deltas = drawPerturbations(ctx.input, count, noise);
  const attributions: Float32Array[] = [];
  const bs = Math.max(1, Math.floor(ctx.batchSize));
  for (let start = 0; start < count; start += bs) {
    throwIfAborted(ctx.signal);
    const n = Math.min(bs, count - start);
    const data = new Float32Array(n * per);
    for (let i = 0; i < n; i++) {
      const d = deltas[start + i]!;
      for (let j = 0; j < per; j++) data[i * per + j] = ctx.input.data[j]! + d[j]!;
    }
    const attr = await explain(new Tensor(data, [n, ...ctx.input.dims.slice(1)]));
    const size = attr.size / n;
    if (size !== ctx.attribution.size) throw new Error(`${metric}: re-explained attribution has ${size} values, the original ${ctx.attribution.size}`);
    for (let i = 0; i < n; i++) attributions.push(attr.data.slice(i * size, (i + 1) * size));
    ctx.progress(start + n, count);
  }
  return { deltas, attributions };
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
