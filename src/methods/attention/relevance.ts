import { throwIfCancelled } from '../../errors.js';
import { chunkGradients, gradientTargets } from '../gradient/input-gradients.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Method, Timings } from '../types.js';
import { ATTENTION_BATCH_OPTION, attentionBlocks, itemAttention, tokenMaps } from './attention-blocks.js';
import { rowsTensor } from './rollout.js';

/**
 * Class-token row of the gradient-weighted attention relevance (Chefer, Gur & Wolf, ICCV 2021, generic attention
 * explainability, self-attention rule): R = I, then R ← R + Ā_l·R for the blocks in order, with
 * Ā_l = mean_heads(relu(∂y/∂A_l ⊙ A_l)). R = (I + Ā_L)⋯(I + Ā_1), so its row e₀ᵀR is a vector passed through the
 * blocks from the last to the first.
 */
export function relevanceRow(blocks: readonly Float32Array[], grads: readonly Float32Array[], heads: readonly number[], tokens: number): Float64Array {
  const tt = tokens * tokens;
  let v = new Float64Array(tokens);
  v[0] = 1;
  for (let l = blocks.length - 1; l >= 0; l--) {
    const a = blocks[l]!;
    const g = grads[l]!;
    const h = heads[l]!;
    const bar = new Float64Array(tt);
    for (let k = 0; k < h; k++) {
      for (let i = 0; i < tt; i++) {
        const p = g[k * tt + i]! * a[k * tt + i]!;
        if (p > 0) bar[i]! += p;
      }
    }
    const next = Float64Array.from(v);
    for (let i = 0; i < tokens; i++) {
      if (v[i] === 0) continue;
      const s = v[i]! / h;
      for (let j = 0; j < tokens; j++) next[j]! += s * bar[i * tokens + j]!;
    }
    v = next;
  }
  return v;
}

export const attentionRelevance: Method = registerMethod({
  info: {
    id: 'attention-relevance',
    aliases: ['chefer', 'transformer-attribution', 'gradient-attention'],
    title: 'Attention relevance (gradient-weighted)',
    family: 'attention',
    summary:
      'Class-specific attention: each block’s attention maps weighted by their gradient for the target (positive part, heads averaged) and ' +
      'accumulated through the blocks with the residual identity (Chefer, Gur & Wolf, ICCV 2021; the gradient-weighted attention of their CVPR 2021 method).',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: false,
    output: 'map',
    signed: false,
    cost: '1 forward + backward to the first attention block',
    reference: 'Chefer et al. 2021 (Transformer-MM-Explainability, self-attention rule); numpy on PyTorch attention maps and gradients (scripts/export_transformers.py)',
    options: [ATTENTION_BATCH_OPTION],
  },
  async explain(model, input, options): Promise<Explanation> {
    const batch = options.batchSize;
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const blocks = await attentionBlocks(model, input, 'attention-relevance');
    const targets = await gradientTargets(model, input, options.target, timings);
    const n = input.dims[0]!;
    const rows: Float64Array[] = [];
    const classes: number[] = [];
    const req = { wrt: blocks.softmax, fetch: blocks.softmax };
    for (let start = 0; start < n; start += batch) {
      throwIfCancelled(options.signal);
      const end = Math.min(n, start + batch);
      const chunk = input.rows(start, end);
      const { result: r, classes: explained } = await chunkGradients(model, chunk, targets, (i) => start + i, req);
      classes.push(...explained);
      timings.compileMs += r.compileMs;
      timings.runMs += r.runMs;
      for (let i = 0; i < end - start; i++) {
        const a = blocks.softmax.map((s, l) => itemAttention(r.tensors[s]!, i, blocks.heads[l]!, blocks.tokens));
        const g = blocks.softmax.map((s, l) => itemAttention(r.gradients[s]!, i, blocks.heads[l]!, blocks.tokens));
        rows.push(relevanceRow(a, g, blocks.heads, blocks.tokens));
      }
      options.onProgress?.({ done: end, total: n });
    }
    const { attribution, raw } = tokenMaps(rows, blocks, { height: input.dims[2]!, width: input.dims[3]! });
    return { method: 'attention-relevance', attribution, targets: classes, extras: { raw, blocks: blocks.softmax.length, tokens: rowsTensor(rows) }, timings };
  },
});
