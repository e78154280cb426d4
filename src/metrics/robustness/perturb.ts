import { drawPerturbations, forEachCopyBatch, requireExplain } from '../image-scoring.js';
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
  const perturbed = (i: number, out: Float32Array): void => {
    const d = deltas[i]!;
    for (let j = 0; j < per; j++) out[j] = ctx.input.data[j]! + d[j]!;
  };
  await forEachCopyBatch(ctx, count, perturbed, async (batch, start) => {
    const n = batch.dims[0]!;
    const attr = await explain(batch);
    const size = attr.size / n;
    if (size !== ctx.attribution.size) throw new Error(`${metric}: re-explained attribution has ${size} values, the original ${ctx.attribution.size}`);
    for (let i = 0; i < n; i++) attributions.push(attr.data.slice(i * size, (i + 1) * size));
    ctx.progress(start + n, count);
  });
  return { deltas, attributions };
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
