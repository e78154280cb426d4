import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBackwardGraph } from '../../src/autodiff/builder.js';
import { FOLD_WEIGHTS_MIN_CONVS } from '../../src/autodiff/schedule.js';
import { chainModel } from '../../src/bench/scale.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { decodeModel } from '../../src/onnx/io.js';
import type { OnnxGraph } from '../../src/onnx/graph.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel } from './helpers.js';

// Issue 23: nodes that read only initializers are all ready when ORT's topological sort starts, and each insertion
// into its ready list costs the list's length, so the Conv rule's weight transforms (one or more per Conv) made
// session creation quadratic in the number of Convs. From FOLD_WEIGHTS_MIN_CONVS Convs Lumen computes them itself.
// Structural and numerical checks, no timing.

/** Op types of the appended nodes (not the model's own) whose every input is an initializer. */
function rootNodes(graph: OnnxGraph, model: ModelProto): string[] {
  const forward = new Set(model.graph!.node.flatMap((n) => n.output));
  const inits = new Set(graph.graph.initializer.map((t) => t.name));
  return graph.nodes.filter((n) => !n.output.some((o) => forward.has(o)) && n.input.every((t) => !t || inits.has(t))).map((n) => n.opType);
}

function saliency(proto: ModelProto, target: string, dims: number[], foldWeights?: boolean): { graph: OnnxGraph; gradient: string } {
  const built = buildBackwardGraph(proto, { target, wrt: ['input'], seed: { kind: 'rank', rank: 1 }, feedDims: { input: ['N', ...dims.slice(1)] }, ...(foldWeights === undefined ? {} : { foldWeights }) });
  return { graph: built.graph, gradient: built.gradients.input! };
}

/** Conv kinds the rule's flipped-kernel path covers: 3×3, grouped 3×2 (asymmetric kernel and pads), depthwise, 1×1. */
function convModel(): { proto: ModelProto; target: string; dims: number[] } {
  const dims = [1, 4, 7, 6];
  const g = emptyModel({ input: ['N', 4, 7, 6] });
  const weights = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 0.7 * i));
  let x = g.op('Conv', ['input', g.addInitializer(weights(6 * 4 * 9, 1), [6, 4, 3, 3])], { pads: { ints: [1, 1, 1, 1] } });
  x = g.op('Relu', [x]);
  x = g.op('Conv', [x, g.addInitializer(weights(6 * 3 * 6, 2), [6, 3, 3, 2])], { group: { i: 2 }, pads: { ints: [1, 0, 1, 1] } });
  x = g.op('Relu', [x]);
  x = g.op('Conv', [x, g.addInitializer(weights(6 * 9, 3), [6, 1, 3, 3])], { group: { i: 6 }, pads: { ints: [1, 1, 1, 1] } });
  x = g.op('Conv', [x, g.addInitializer(weights(5 * 6, 4), [5, 6, 1, 1])]);
  const target = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: { i: 1 } });
  g.setOutputs([target]);
  return { proto: g.model, target, dims };
}

test('folded weight transforms give bit-identical gradients and leave no node that reads only initializers', async () => {
  const { proto, target, dims } = convModel();
  const folded = saliency(proto, target, dims, true);
  const nodes = saliency(proto, target, dims, false);
  assert.deepEqual(rootNodes(folded.graph, proto), []);
  // without folding: a Transpose per Conv, the grouped one's Reshape (then Transpose, Reshape) first
  assert.deepEqual(rootNodes(nodes.graph, proto).sort(), ['Reshape', 'Reshape', 'Transpose', 'Transpose']);
  const runtime = nodeRuntime({ threads: 1, graphOptimizationLevel: 'disabled' });
  const x = new Tensor(Float32Array.from({ length: 4 * 7 * 6 }, (_, i) => Math.cos(1.3 * i)), dims);
  const [a, b] = await Promise.all([folded, nodes].map(async ({ graph, gradient }) => {
    const session = await runtime.createSession(graph.toBytes());
    try {
      return (await session.run({ input: x }, [gradient]))[gradient]!;
    } finally {
      await session.dispose();
    }
  }));
  assert.ok(a!.data.some((v) => v !== 0));
  assert.deepEqual(Array.from(a!.data), Array.from(b!.data));
});

test(`weights are folded by default from ${FOLD_WEIGHTS_MIN_CONVS} Convs on`, () => {
  const count = (convs: number): Record<string, number> => {
    const chain = chainModel(2 * convs + 3);
    const { graph } = saliency(decodeModel(chain.bytes), chain.logits, chain.inputDims);
    const ops: Record<string, number> = {};
    for (const n of graph.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    assert.equal(ops.Conv! >= 2 * convs, true);
    return ops;
  };
  assert.equal(count(FOLD_WEIGHTS_MIN_CONVS - 1).Transpose, FOLD_WEIGHTS_MIN_CONVS - 1);
  assert.equal(count(FOLD_WEIGHTS_MIN_CONVS).Transpose, undefined);
});
