import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { emptyModel, randn, rng } from '../autodiff/helpers.js';

const runtime = nodeRuntime({ threads: 1 });

/**
 * Conv → Relu (the pre-gate map) → squeeze-excitation (GlobalAveragePool → 1×1 Conv → Relu → 1×1 Conv → Sigmoid →
 * Mul) at the very end → the head's pooling (`head`) → Flatten → Gemm.
 */
function seAtTheEnd(head: 'GlobalAveragePool' | 'AveragePool' | 'ReduceMean'): { model: LumenModel; gated: string; preGate: string } {
  const r = rng(21);
  const g = emptyModel({ input: ['N', 3, 6, 6] }, 13);
  const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
  const preGate = g.op('Relu', [g.op('Conv', ['input', w([8, 3, 3, 3], 0.4), w([8], 0.1)], { pads: { ints: [1, 1, 1, 1] } })]);
  const squeezed = g.op('Relu', [g.op('Conv', [g.op('GlobalAveragePool', [preGate]), w([2, 8, 1, 1], 0.5), w([2], 0.1)])]);
  const gate = g.op('Sigmoid', [g.op('Conv', [squeezed, w([8, 2, 1, 1], 0.5), w([8], 0.1)])]);
  const gated = g.op('Mul', [preGate, gate]);
  const pooled = head === 'AveragePool'
    ? g.op('AveragePool', [gated], { kernel_shape: { ints: [6, 6] } })
    : head === 'ReduceMean' ? g.op('ReduceMean', [gated], { axes: { ints: [2, 3] }, keepdims: { i: 1 } }) : g.op('GlobalAveragePool', [gated]);
  const logits = g.op('Gemm', [g.op('Flatten', [pooled]), w([4, 8], 0.5), w([4], 0.1)], { transB: { i: 1 } });
  g.setOutputs([logits]);
  return { model: LumenModel.fromProto(g.model, { runtime, source: `se-${head}` }), gated, preGate };
}

for (const head of ['GlobalAveragePool', 'AveragePool', 'ReduceMean'] as const) {
  test(`default CAM layer: squeeze-excitation at the end, ${head} head → the gated map, not the SE pooling's input`, async () => {
    const { model, gated, preGate } = seAtTheEnd(head);
    const layer = await model.defaultLayer();
    assert.equal(layer, gated);
    assert.notEqual(layer, preGate);
    const layers = await model.layers();
    assert.deepEqual(layers.filter((l) => l.isDefault).map((l) => l.name), [gated]);
    await model.dispose();
  });
}
