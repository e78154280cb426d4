/**
 * Feature ablation over segments (Captum FeatureAblation with a feature mask): attribution of segment s =
 * f(x) − f(x with segment s set to the hide value), painted on every pixel of the segment.
 */
import type { LumenModel } from '../../model.js';
import type { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, OptionValues } from '../types.js';
import { hideOptionSpecs, PerturbationRun, segmentValues } from './perturbation-run.js';
import { SEGMENTATION_OPTIONS, segmentImage } from './segmentation.js';
import { familyInfo } from '../family.js';
import { batchSizeOption } from '../common-options.js';

export const featureAblationInfo = familyInfo('perturbation', {
  id: 'feature-ablation',
  aliases: ['ablation', 'segment-ablation'],
  title: 'Feature ablation',
  summary: 'For each segment (superpixel, grid cell or your own mask), how much the explained score drops when that segment alone is hidden.',
  output: 'map',
  cost: '1 + S forward passes per image (S = number of segments)',
  reference: 'Captum FeatureAblation with a feature_mask (one feature per segment), single-segment ablations',
  options: [...SEGMENTATION_OPTIONS, ...hideOptionSpecs('constant'), batchSizeOption(32, 'Ablated images per forward pass.')],
});

async function explainFeatureAblation(model: LumenModel, input: Tensor, options: ExplainOptions & OptionValues<typeof featureAblationInfo.options>): Promise<Explanation> {
  const run = await PerturbationRun.start(model, input, options);
  const segmentations = run.images.map((image) => segmentImage(image, options, model.normalization));
  run.plan(segmentations.reduce((a, s) => a + s.count, 0));
  const perSegment: number[] = [];
  const painted = await segmentValues(run, segmentations, options, async (image, { labels, count }, hidden) => {
    const on = new Uint8Array(count);
    // coalition s: every segment shown but s
    const scores = await run.scoreCoalitions(
      image,
      labels,
      count,
      (s) => {
        on.fill(1);
        on[s] = 0;
        return on;
      },
      hidden,
      'feature-ablation',
    );
    const drops = Array.from(scores, (v) => image.score - v);
    perSegment.push(...drops);
    return drops;
  });
  return run.finish('feature-ablation', painted.maps, 1, { segments: painted.segments, segmentAttributions: perSegment, segmentCounts: painted.segmentCounts });
}

export const featureAblation: Method = registerMethod({ info: featureAblationInfo, explain: explainFeatureAblation });
