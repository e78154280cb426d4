import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/cam/index.js';
import '../../src/methods/gradient/index.js';
import '../../src/methods/perturbation/index.js';
import { emptyModel, randomTensor, randn, relErr, rng } from '../autodiff/helpers.js';
import type { OnnxGraph } from '../../src/onnx/graph.js';

const runtime = nodeRuntime({ threads: 1 });

/**
 * Conv → Relu → (ViT-style) a learned [1, 1, 8] token concatenated in front of the pixels as a sequence → Reshape
 * → Gemm. `fixed`: the input is [1, 3, 6, 6] and the Reshape target bakes the 1 in ([1, -1]), as
 * torch.onnx.export without dynamic_axes writes `x.view(x.size(0), -1)`; otherwise the batch is open and the
 * target is [0, -1]. `token`: with the token Concat (a fixed [1, …] constant no rewrite can batch: the fixed model
 * then runs one item at a time).
 */
function twin(fixed: boolean, token: boolean): LumenModel {
  const r = rng(31);
  const g: OnnxGraph = emptyModel({ input: [fixed ? 1 : 'N', 3, 6, 6] }, 13);
  const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
  const features = g.op('Relu', [g.op('Conv', ['input', w([8, 3, 3, 3], 0.4), w([8], 0.1)], { pads: { ints: [1, 1, 1, 1] } })]);
  let flat: string;
  let width = 8 * 36;
  if (token) {
    const seq = g.op('Transpose', [g.op('Reshape', [features, g.int64s([fixed ? 1 : 0, 8, 36])])], { perm: { ints: [0, 2, 1] } });
    const cls = w([1, 1, 8], 0.5);
    const tok = fixed ? cls : g.op('Expand', [cls, g.op('Concat', [g.op('Slice', [g.op('Shape', ['input']), g.int64s([0]), g.int64s([1])]), g.int64s([1, 8])], { axis: { i: 0 } })]);
    flat = g.op('Reshape', [g.op('Concat', [tok, seq], { axis: { i: 1 } }), g.int64s([fixed ? 1 : 0, -1])]);
    width = 8 * 37;
  } else {
    flat = g.op('Reshape', [features, g.int64s([fixed ? 1 : 0, -1])]);
  }
  const logits = g.op('Gemm', [flat, w([5, width], 0.1), w([5], 0.1)], { transB: { i: 1 } });
  g.setOutputs([logits]);
  return LumenModel.fromProto(g.model, { runtime, source: `${fixed ? 'fixed' : 'dynamic'}${token ? '-token' : ''}` });
}

const METHODS: { id: string; options: Record<string, unknown> }[] = [
  { id: 'saliency', options: {} },
  { id: 'integrated-gradients', options: { steps: 8, internalBatchSize: 4 } },
  { id: 'smoothgrad', options: { samples: 6, seed: 3 } },
  { id: 'gradcam', options: {} },
  { id: 'rise', options: { numMasks: 40, batchSize: 16, seed: 5 } },
  { id: 'occlusion', options: { slidingWindowShapes: '2', strides: '2', batchSize: 8 } },
];

for (const token of [false, true]) {
  test(`fixed batch 1${token ? ' with a [1, …] token no rewrite can batch' : ''}: every method family equals the dynamic-batch twin`, async () => {
    const fixed = twin(true, token);
    const dynamic = twin(false, token);
    assert.deepEqual(fixed.batchOpening && { fixed: fixed.batchOpening.fixed, reshapes: fixed.batchOpening.reshapes }, { fixed: 1, reshapes: 1 });
    assert.equal(dynamic.batchOpening, undefined);
    assert.equal(fixed.inputDims[0], 'batch');
    const x = randomTensor([3, 3, 6, 6], rng(8));
    // several images at once (a batch the file's [1, …] input never allowed)
    const [a, b] = [await fixed.forward(x), await dynamic.forward(x)];
    assert.ok(relErr(a.logits.data, b.logits.data) < 1e-6);
    assert.equal(fixed.batchOpening!.mode, token ? 'single' : 'batched');
    for (const m of METHODS) {
      const method = getMethod(m.id);
      const input = m.id === 'rise' || m.id === 'occlusion' ? x.item(0) : x;
      const got = await method.explain(fixed, input, { target: 'top1', ...m.options });
      const want = await method.explain(dynamic, input, { target: 'top1', ...m.options });
      assert.deepEqual(got.attribution.dims, want.attribution.dims, m.id);
      const err = relErr(got.attribution.data, want.attribution.data);
      assert.ok(err < 1e-5, `${m.id}: ${err}`);
    }
    await Promise.all([fixed.dispose(), dynamic.dispose()]);
  });
}
