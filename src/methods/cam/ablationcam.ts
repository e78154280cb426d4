import type { LumenModel } from '../../model.js';
import { headGraph } from '../../onnx/subgraph.js';
import type { Feeds, Session } from '../../runtime/types.js';
import { Tensor } from '../../tensor.js';
import { fromNchw, layerItem } from '../../layout.js';
import { defineCam, nchw } from './base-cam.js';
import { targetScores, targetTensor } from '../../targets/index.js';

const ABLATION_OFFSET = 1e7;

/**
 * Ablation-CAM: the rest of the network (the "head" after the layer) is re-run with channel c of A ablated;
 * w_c = (s − s_c) / s where s is the target score. The ablated value is 0 when the batch's minimum activation is
 * 0; otherwise pytorch-grad-cam writes min − 1e7 re-reading the minimum after each write, so the i-th sample of a
 * batch gets ≈ min − (i+1)·1e7 (reproduced in float32, batches of `batchSize` as the library's 32).
 */
export const ablationcam = defineCam({
  id: 'ablationcam',
  aliases: ['ablation-cam'],
  title: 'Ablation-CAM',
  summary: 'Channels weighted by the drop in the class score when each is removed: gradient-free.',
  cost: '1 forward + C forwards of the network head after the layer',
  reference: 'pytorch-grad-cam 1.5.5 AblationCAM',
  needsGradients: false,
  batching: { default: 32, description: 'ablated channels per forward pass (also sets the ablation-value quirk)' },
  weights: async (layer, ctx) => {
    const A = layer.activations;
    const [n, c, h, w] = nchw(A);
    const chw = c * h * w;
    const batchSize = ctx.batchSize();
    const head = await headSession(ctx.model, layer.name, targetTensor(ctx.model, ctx.targets), ctx.timings);
    const imageSize = ctx.input.size / ctx.input.dims[0]!;

    // the head takes the layer in its own layout (NHWC, tokens): ablated maps are written back into it
    const native = layer.native ?? A;
    const toNative = (maps: Tensor, i: number): Tensor => (layer.layout ? fromNchw(maps, layer.layout, layerItem(native, layer.layout, i)) : maps);
    const original = await runHead(ctx.model, head, native, ctx.input, ctx.timings);
    const originalScores = targetScores(original, ctx.targets);
    const weights = new Float32Array(n * c);
    let done = 0;
    for (let i = 0; i < n; i++) {
      const item = A.data.subarray(i * chw, (i + 1) * chw);
      let itemMin = Infinity;
      for (const v of item) if (v < itemMin) itemMin = v;
      const s0 = Math.fround(originalScores[i]!);
      for (let start = 0; start < c; start += batchSize) {
        ctx.checkAborted();
        const count = Math.min(batchSize, c - start);
        const batch = new Float32Array(count * chw);
        let current = itemMin;
        for (let b = 0; b < count; b++) {
          batch.set(item, b * chw);
          const value = current === 0 ? 0 : Math.fround(current - ABLATION_OFFSET);
          current = Math.min(current, value);
          batch.fill(value, b * chw + (start + b) * h * w, b * chw + (start + b + 1) * h * w);
        }
        const image = ctx.input.data.subarray(i * imageSize, (i + 1) * imageSize);
        const images = head.needsModelInput ? Tensor.concat(Array.from({ length: count }, () => new Tensor(image, [1, ...ctx.input.dims.slice(1)]))) : undefined;
        const logits = await runHead(ctx.model, head, toNative(new Tensor(batch, [count, c, h, w]), i), images, ctx.timings);
        const scores = targetScores(logits, ctx.targets, () => i);
        for (let b = 0; b < count; b++) weights[i * c + start + b] = Math.fround(Math.fround(s0 - Math.fround(scores[b]!)) / s0);
        done += count;
        ctx.progress(done, n * c, 'ablationcam');
      }
    }
    return weights;
  },
});

interface Head {
  layer: string;
  /** The explained tensor the head computes. */
  output: string;
  session: Session;
  /** Whether the head also needs the image (a path bypassing the layer): the compiled head's meta. */
  needsModelInput: boolean;
}

async function headSession(model: LumenModel, layer: string, output: string, timings: { compileMs: number }): Promise<Head> {
  const t0 = performance.now();
  const { session, meta } = await model.compile(`ablation-head:${layer}:${output}`, () => {
    const head = headGraph(model.proto, layer, [output]);
    return { graph: head.graph, meta: { needsModelInput: head.needsModelInput } };
  });
  timings.compileMs += performance.now() - t0;
  return { layer, output, session, needsModelInput: meta.needsModelInput };
}

async function runHead(model: LumenModel, head: Head, activations: Tensor, images: Tensor | undefined, timings: { runMs: number }): Promise<Tensor> {
  const t0 = performance.now();
  const feeds: Feeds = { [head.layer]: activations };
  if (head.needsModelInput) {
    if (!images) throw new Error('internal: the head graph needs the model input');
    feeds[model.inputName] = images;
  }
  const out = await head.session.run(feeds, [head.output]);
  timings.runMs += performance.now() - t0;
  return out[head.output]!;
}
