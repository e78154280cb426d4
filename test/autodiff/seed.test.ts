import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBackwardGraph } from '../../src/autodiff/index.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel, randn, rng, runModel } from './helpers.js';

/**
 * The in-graph top-k seed takes a shortcut through a final Gemm (the picked row of the weight, a Gather): it must give
 * exactly the gradient of an explicit one-hot seed, for both weight layouts, alpha ≠ 1 and any rank.
 */
for (const transB of [0, 1]) {
  test(`top-k seed through a final Gemm (transB=${transB}, alpha 0.5) equals the explicit one-hot seed`, async () => {
    const r = rng(41 + transB);
    const g = emptyModel({ x: ['N', 6] });
    const [inF, hidden, classes] = [6, 5, 4];
    const w1 = g.addInitializer(Float32Array.from({ length: inF * hidden }, () => randn(r)), [inF, hidden]);
    const h = g.op('Tanh', [g.op('MatMul', ['x', w1])]);
    const w2 = g.addInitializer(Float32Array.from({ length: hidden * classes }, () => randn(r)), transB ? [classes, hidden] : [hidden, classes]);
    const bias = g.addInitializer(Float32Array.from({ length: classes }, () => randn(r)), [classes]);
    const logits = g.op('Gemm', [h, w2, bias], { transB: { i: transB }, alpha: { f: 0.5 } });
    g.setOutputs([logits]);
    const x = new Tensor(Float32Array.from({ length: 3 * inF }, () => randn(r)), [3, inF]);
    for (const rank of [1, 2, 4]) {
      const ranked = buildBackwardGraph(g.model, { target: logits, wrt: ['x'], seed: { kind: 'rank', rank }, feedDims: { x: ['N', inF] } });
      assert.ok(ranked.graph.nodes.some((n) => n.opType === 'Gather' && n.input[0] === w2), 'the shortcut is taken');
      const out = await runModel(ranked.graph, { x }, [logits, ranked.gradients.x!, ranked.seedClasses!]);
      const picked = Array.from(out[ranked.seedClasses!]!.data);
      const seed = new Float32Array(3 * classes);
      picked.forEach((k, i) => (seed[i * classes + k] = 1));
      const explicit = buildBackwardGraph(g.model, { target: logits, wrt: ['x'], feedDims: { x: ['N', inF] } });
      const want = (await runModel(explicit.graph, { x, [explicit.seedInput!]: new Tensor(seed, [3, classes]) }, [explicit.gradients.x!]))[explicit.gradients.x!]!;
      // the picked classes are the rank-th largest logits
      const l = out[logits]!.data;
      for (let i = 0; i < 3; i++) {
        const row = Array.from(l.subarray(i * classes, (i + 1) * classes));
        assert.equal(row.filter((v) => v > row[picked[i]!]!).length, rank - 1);
      }
      assert.deepEqual(Array.from(out[ranked.gradients.x!]!.data), Array.from(want.data), `rank ${rank}`);
    }
  });
}
