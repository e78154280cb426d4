import { LumenModel } from '../../model.js';
import { OnnxGraph } from '../../onnx/graph.js';
import { opTraits } from '../../autodiff/registry.js';
import '../../autodiff/rules/index.js';
import { TensorProto_DataType } from '../../onnx/proto.js';
import { tensorValues } from '../../onnx/tensor-proto.js';
import { geometryOf, requireExplain } from '../image-scoring.js';
import { throwIfCancelled } from '../../errors.js';
import { numberInRange } from '../../options.js';
import { registerMetric } from '../registry.js';
import { mapSimilarity } from '../similarity.js';
import { mean } from '../stats.js';
import { Random } from '../../random.js';
import type { Metric, RandomizationDetails } from '../types.js';

/** A Conv / Gemm / MatMul layer whose weight is a float initializer. */
export interface ParameterLayer {
  node: string;
  op: string;
  weight: string;
}

/** Learnable layers in graph order (input side first): nodes whose op's `weightInput` trait names a float initializer. */
export function parameterLayers(graph: OnnxGraph): ParameterLayer[] {
  const out: ParameterLayer[] = [];
  for (const n of graph.nodes) {
    const at = opTraits(n.opType)?.weightInput;
    if (at === undefined) continue;
    const weight = n.input[at];
    const init = weight ? graph.initializer(weight) : undefined;
    if (!init || init.dataType !== TensorProto_DataType.FLOAT) continue;
    out.push({ node: n.name || weight!, op: n.opType, weight: weight! });
  }
  return out;
}

/**
 * A copy of the model with the weights of `layers` re-drawn from N(0, std(W)²) (each layer's own standard
 * deviation; biases kept). Layer i always gets the same draw for a given seed, so cascading and independent
 * runs randomize a layer identically.
 */
export function randomizedModel(model: LumenModel, layers: readonly ParameterLayer[], seed: number, label: string): LumenModel {
  const g = OnnxGraph.copyOf(model.proto);
  const all = parameterLayers(g);
  for (const layer of layers) {
    const init = g.initializer(layer.weight)!;
    const values = tensorValues(init) as Float32Array;
    let m = 0;
    for (const v of values) m += v;
    m /= values.length;
    let s = 0;
    for (const v of values) s += (v - m) ** 2;
    const std = Math.sqrt(s / values.length) || 1e-3;
    const random = new Random(seed + 7919 * all.findIndex((l) => l.weight === layer.weight));
    const fresh = Float32Array.from({ length: values.length }, () => random.gaussian(0, std));
    init.rawData = new Uint8Array(fresh.buffer);
    init.floatData = [];
  }
  return LumenModel.fromProto(g.model, { runtime: model.runtime, metadata: model.metadata, source: `${model.source} (${label})` });
}

/**
 * Model-parameter randomization test (Adebayo et al. 2018 "Sanity Checks for Saliency Maps", §3.1): re-initialize
 * the learnable layers top-down (cascading: logits layer first, then also the one below, …) or one at a time
 * (independent), explain the same image and class again, and compare with the original map. A map that does not
 * change when the model is destroyed does not explain the model.
 */
export const randomization: Metric = registerMetric({
  info: {
    id: 'randomization',
    title: 'Model parameter randomization',
    category: 'randomization',
    higherIsBetter: false,
    summary: 'Mean Spearman rank correlation (absolute values) between the original map and the maps of the randomized models over the randomization steps; −1…1, lower is better. Details: per-layer Spearman and SSIM.',
    passes: 'L × (model copy + session compile + one explanation), L = number of Conv/Gemm/MatMul layers (or maxLayers)',
    source: 'Adebayo et al. 2018 "Sanity Checks for Saliency Maps" (NeurIPS), cascading and independent randomization; Quantus MPRT',
    needsExplainer: true,
    needsRegions: false,
    options: [
      { name: 'mode', type: 'enum', choices: ['cascading', 'independent'], default: 'cascading', description: 'Cascading (top-down, cumulative) or independent (one layer at a time)' },
      { name: 'maxLayers', type: 'integer', min: 1, description: 'Randomize only the top-most N layers (default all)' },
    ],
  },
  async compute(ctx) {
    const explain = requireExplain(ctx, 'randomization');
    const g = geometryOf(ctx.input);
    const { mode } = ctx.options;
    const layers = parameterLayers(ctx.model.graph).reverse();
    // default and bound depend on the model
    const count = numberInRange(ctx.options, 'maxLayers', layers.length, 1, Math.max(1, layers.length), true);
    const steps = layers.slice(0, count);
    const spearmans: number[] = [];
    const ssims: number[] = [];
    for (let i = 0; i < steps.length; i++) {
      throwIfCancelled(ctx.signal, 'evaluation');
      const randomized = mode === 'cascading' ? steps.slice(0, i + 1) : [steps[i]!];
      const model = randomizedModel(ctx.model, randomized, ctx.seed, `${mode} randomization up to ${steps[i]!.node}`);
      try {
        const attribution = await explain(ctx.input, { model });
        const sim = mapSimilarity(ctx.attribution, attribution, g);
        spearmans.push(sim.spearman);
        ssims.push(sim.ssim);
      } finally {
        await model.dispose();
      }
      ctx.progress(i + 1, steps.length);
    }
    return {
      value: mean(spearmans.filter(Number.isFinite)),
      details: { mode, layers: steps.map((l) => l.node), spearman: spearmans, ssim: ssims } satisfies RandomizationDetails,
    };
  },
});
