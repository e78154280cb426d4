import { Tensor } from '../../tensor.js';
import { LumenError, throwIfCancelled } from '../../errors.js';
import { resolveTargets } from '../../targets/index.js';
import { now } from '../gradient/input-gradients.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Method, Timings } from '../types.js';
import { ATTENTION_BATCH_OPTION, attentionBlocks, itemAttention, tokenMaps } from './attention-blocks.js';

export const HEAD_FUSIONS = ['mean', 'max', 'min'] as const;
export type HeadFusion = (typeof HEAD_FUSIONS)[number];

/** One block's heads fused into a [T, T] matrix. */
export function fuseHeads(a: Float32Array, heads: number, tokens: number, fusion: HeadFusion): Float64Array {
  const tt = tokens * tokens;
  const out = Float64Array.from(a.subarray(0, tt));
  for (let h = 1; h < heads; h++) {
    const head = a.subarray(h * tt, (h + 1) * tt);
    if (fusion === 'mean') for (let i = 0; i < tt; i++) out[i]! += head[i]!;
    else if (fusion === 'max') for (let i = 0; i < tt; i++) out[i] = Math.max(out[i]!, head[i]!);
    else for (let i = 0; i < tt; i++) out[i] = Math.min(out[i]!, head[i]!);
  }
  if (fusion === 'mean') for (let i = 0; i < tt; i++) out[i]! /= heads;
  return out;
}

/**
 * Attention rollout's row of token 0 (the class token): with Â_l = rownorm((fuse(A_l) + I)/2), R = Â_L ⋯ Â_1 and the
 * row e₀ᵀR is computed as a vector passed through the blocks from the last to the first (O(L·T²), no T³ product).
 * `discard` zeroes the lowest fraction of each fused matrix first, never its [0, 0] entry (as jacobgil/vit-explain).
 * The row sums to 1 (every Â_l is row-stochastic).
 */
export function rolloutRow(blocks: readonly Float32Array[], heads: readonly number[], tokens: number, fusion: HeadFusion, discard: number): Float64Array {
  let v = new Float64Array(tokens);
  v[0] = 1;
  for (let l = blocks.length - 1; l >= 0; l--) {
    const a = fuseHeads(blocks[l]!, heads[l]!, tokens, fusion);
    if (discard > 0) discardLowest(a, discard);
    const next = new Float64Array(tokens);
    for (let i = 0; i < tokens; i++) {
      if (v[i] === 0) continue;
      const row = a.subarray(i * tokens, (i + 1) * tokens);
      let sum = 1; // the identity's 1 on the diagonal
      for (let j = 0; j < tokens; j++) sum += row[j]!;
      const s = v[i]! / sum;
      for (let j = 0; j < tokens; j++) next[j]! += s * row[j]!;
      next[i]! += s;
    }
    v = next;
  }
  return v;
}

/** Zero the floor(discard·T²) smallest entries (by value, first index first among ties), except entry 0. */
function discardLowest(a: Float64Array, discard: number): void {
  const k = Math.floor(a.length * discard);
  if (k <= 0) return;
  const order = Array.from({ length: a.length }, (_, i) => i).sort((x, y) => a[x]! - a[y]! || x - y);
  for (let i = 0; i < k; i++) if (order[i] !== 0) a[order[i]!] = 0;
}

export const attentionRollout: Method = registerMethod({
  info: {
    id: 'attention-rollout',
    aliases: ['rollout'],
    title: 'Attention Rollout',
    family: 'attention',
    summary:
      'How much the class token draws, through all attention blocks and their residual connections, on each patch: the product of the blocks’ ' +
      'head-fused attention matrices with the identity added (Abnar & Zuidema 2020). Depends on the image only, not on the class.',
    needsGradients: false,
    needsBaseline: false,
    needsLayer: false,
    output: 'map',
    signed: false,
    cost: '1 forward',
    reference: 'Abnar & Zuidema 2020; numpy on PyTorch attention maps (scripts/export_transformers.py)',
    options: [
      { name: 'headFusion', type: 'enum', choices: HEAD_FUSIONS, default: 'mean', description: 'how the heads of a block are combined' },
      { name: 'discardRatio', type: 'number', default: 0, min: 0, max: 1, description: 'fraction of the lowest attention weights of each block set to 0 before the rollout' },
      ATTENTION_BATCH_OPTION,
    ],
  },
  async explain(model, input, options): Promise<Explanation> {
    const { headFusion: fusion, discardRatio: discard, batchSize: batch } = options;
    // (the declared max is 1, but discarding every weight leaves nothing to roll out)
    if (discard >= 1) throw new LumenError('BAD_OPTION', `attention-rollout.explain: discardRatio must be below 1, got ${discard}`, 2);
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const blocks = await attentionBlocks(model, input, 'attention-rollout');
    const n = input.dims[0]!;
    const rows: Float64Array[] = [];
    const logits: Tensor[] = [];
    for (let start = 0; start < n; start += batch) {
      throwIfCancelled(options.signal);
      const chunk = input.rows(start, Math.min(n, start + batch));
      const t0 = now();
      const out = await model.forward(chunk, blocks.softmax);
      timings.runMs += now() - t0;
      logits.push(out.logits);
      for (let i = 0; i < chunk.dims[0]!; i++) {
        const per = blocks.softmax.map((s, l) => itemAttention(out.tensors[s]!, i, blocks.heads[l]!, blocks.tokens));
        rows.push(rolloutRow(per, blocks.heads, blocks.tokens, fusion, discard));
      }
      options.onProgress?.({ done: Math.min(n, start + batch), total: n });
    }
    const all = Tensor.concat(logits);
    const targets = resolveTargets(options.target, all, model.classNames).classes;
    const { attribution, raw } = tokenMaps(rows, blocks, { height: input.dims[2]!, width: input.dims[3]! });
    return { method: 'attention-rollout', attribution, targets, extras: { raw, blocks: blocks.softmax.length, tokens: rowsTensor(rows) }, timings };
  },
});

/** The full class-token rows [N, T] (special tokens included). */
export function rowsTensor(rows: readonly Float64Array[]): Tensor {
  const t = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * t);
  rows.forEach((r, i) => out.set(r, i * t));
  return new Tensor(out, [rows.length, t]);
}
