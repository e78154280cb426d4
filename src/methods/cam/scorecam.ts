import { resizeMapBilinearAlignCorners } from '../../image/preprocess.js';
import { Tensor } from '../../tensor.js';
import { defineCam, imageDims, nchw } from './base-cam.js';
import { seedRows, softmax, targetTensor } from '../../targets/index.js';

/**
 * Score-CAM: each channel, upsampled (bilinear, align_corners) and min-maxed (1e-8), masks the input; the
 * target score of each masked input, softmaxed over channels, is the channel's weight.
 */
export const scorecam = defineCam({
  id: 'scorecam',
  aliases: ['score-cam'],
  title: 'Score-CAM',
  summary: 'Channels weighted by how much the class score keeps when the input is masked by each channel: gradient-free.',
  cost: '1 forward + C forwards (C = layer channels)',
  reference: 'pytorch-grad-cam 1.5.5 ScoreCAM',
  needsGradients: false,
  batching: { default: 16, description: 'masked inputs per forward pass' },
  weights: async (layer, ctx) => {
    const [n, c, h, w] = nchw(layer.activations);
    const [, inC, H, W] = imageDims(ctx.input);
    const batchSize = ctx.batchSize();
    const plane = H * W;
    const weights = new Float32Array(n * c);
    let done = 0;
    for (let i = 0; i < n; i++) {
      const image = new Tensor(ctx.input.data.subarray(i * inC * plane, (i + 1) * inC * plane), [1, ...ctx.input.dims.slice(1)]);
      const scores = new Float64Array(c);
      // one mask buffer for every full batch (ORT is done with it when forward returns): less garbage to collect
      const full = new Float32Array(Math.min(batchSize, c) * plane);
      for (let start = 0; start < c; start += batchSize) {
        ctx.checkAborted();
        const count = Math.min(batchSize, c - start);
        const masks = count * plane === full.length ? full : new Float32Array(count * plane);
        for (let b = 0; b < count; b++) {
          const ch = start + b;
          normalizedUpsample(layer.activations.data.subarray((i * c + ch) * h * w, (i * c + ch + 1) * h * w), h, w, H, W, masks.subarray(b * plane, (b + 1) * plane));
        }
        // input × mask for every input channel, in the graph
        const t0 = performance.now();
        // the target's scalar is computed in the session (image i's seed row): count numbers fetched
        const s = await ctx.model.forwardMasked(image, new Tensor(masks, [count, 1, H, W]), 0, 'blend', targetTensor(ctx.model, ctx.targets), { seed: seedRows(ctx.targets, 1, () => i), output: ctx.targets.output });
        ctx.timings.runMs += performance.now() - t0;
        for (let b = 0; b < count; b++) scores[start + b] = s.data[b]!;
        done += count;
        ctx.progress(done, n * c, 'scorecam');
      }
      weights.set(softmax(scores), i * c); // over channels
    }
    return weights;
  },
});

/**
 * UpsamplingBilinear2d (align_corners) of one channel to [H, W], then (x − min) / (max − min + 1e-8) into `out`,
 * rounded to float32 as torch stores the mask. A function of its own, so V8 optimizes its loops apart from the async
 * weighting loop.
 */
function normalizedUpsample(channel: Float32Array, h: number, w: number, H: number, W: number, out: Float32Array): void {
  const up = resizeMapBilinearAlignCorners(channel, w, h, W, H);
  let min = Infinity;
  let max = -Infinity;
  for (let p = 0; p < up.length; p++) {
    const v = up[p]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const divisor = Math.fround(max - min + 1e-8);
  for (let p = 0; p < up.length; p++) out[p] = Math.fround(up[p]! - min) / divisor;
}
