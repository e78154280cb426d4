import { create } from '@bufbuild/protobuf';
import { LumenModel } from '../../src/model.js';
import type { ModelMetadata } from '../../src/metadata.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema } from '../../src/onnx/proto.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';
import type { Explanation } from '../../src/methods/types.js';
import type { Explainer } from '../../src/metrics/types.js';

const runtime = nodeRuntime();

/**
 * A classifier whose logits are linear in the pixels: logits[k] = Σ_i weights[k][i]·x_i + bias[k], built as
 * Flatten → Gemm with OnnxGraph. `weights[k]` has C·H·W entries in NCHW order (also for an NHWC model). `named`: the
 * graph's name and the model's source and metadata (default 'linear', 'linear-test-model', none).
 */
export function linearModel(channels: number, height: number, width: number, weights: readonly ArrayLike<number>[], bias: readonly number[], layout: 'NCHW' | 'NHWC' = 'NCHW', named: { name: string; source: string; metadata?: ModelMetadata } = { name: 'linear', source: 'linear-test-model' }): LumenModel {
  const size = channels * height * width;
  const k = weights.length;
  const proto = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'lumen-test',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, { name: named.name }),
  });
  const g = new OnnxGraph(proto);
  g.addInput('input', layout === 'NCHW' ? ['batch', channels, height, width] : ['batch', height, width, channels]);
  const flat = g.op('Flatten', ['input'], { axis: { i: 1 } });
  const w = new Float32Array(size * k);
  const pixels = height * width;
  // weights are given in NCHW order; an NHWC input flattens as (y, x, c)
  const row = (i: number): number => (layout === 'NCHW' ? i : (i % pixels) * channels + Math.floor(i / pixels));
  for (let j = 0; j < k; j++) for (let i = 0; i < size; i++) w[row(i) * k + j] = weights[j]![i]!;
  const wName = g.addInitializer(w, [size, k], 'W');
  const bName = g.addInitializer(Float32Array.from(bias), [k], 'B');
  g.addNode('Gemm', [flat, wName, bName], ['logits']);
  g.addOutput('logits', ['batch', k]);
  return LumenModel.fromProto(g.model, { runtime, source: named.source, metadata: named.metadata });
}

/** An explainer returning a fixed attribution for every image and class (what the metric judges). */
export function fixedExplainer(attribution: Tensor, targets: number[] = [0]): Explainer {
  return async () => explanation(attribution, targets);
}

export function explanation(attribution: Tensor, targets: number[]): Explanation {
  return { method: 'fixed', attribution, targets, extras: {}, timings: { compileMs: 0, runMs: 0 } };
}

/**
 * The exact contributions of a linear model, per pixel and class: a[k](p) = Σ_c w[k](c,p)·x(c,p), as a one-channel
 * map (this IS the attribution any complete method must return for such a model, with a zero baseline).
 */
export function contributionsExplainer(channels: number, height: number, width: number, weights: readonly (readonly number[])[]): Explainer {
  return async (_model, input, options) => {
    const n = input.dims[0]!;
    const pixels = height * width;
    const target = options.target;
    const out = new Float32Array(n * pixels);
    const targets: number[] = [];
    for (let b = 0; b < n; b++) {
      const t = typeof target === 'number' ? target : Array.isArray(target) ? (target[b] as number) : 0;
      targets.push(t);
      for (let c = 0; c < channels; c++) {
        for (let p = 0; p < pixels; p++) out[b * pixels + p] += weights[t]![c * pixels + p]! * input.data[b * channels * pixels + c * pixels + p]!;
      }
    }
    return explanation(new Tensor(out, [n, 1, height, width]), targets);
  };
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Deterministic pseudo-random numbers for test fixtures (LCG; independent of the library's PRNG). */
export function fixtureNumbers(count: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 4294967296) * 2 - 1) * scale;
  });
}
