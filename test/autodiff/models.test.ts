import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { Tensor } from '../../src/tensor.js';
import { LumenError } from '../../src/errors.js';
import { loadModel } from '../../src/node/load.js';
import { buildBackwardGraph, computeGradients, NoGradientRuleError, registerRuleSet } from '../../src/autodiff/index.js';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/load-all.js';
import { efficientNetLike, denseNetLike, vitLike } from './families.js';
import { directionalCheck, quantile, emptyModel, finiteDifferenceCheck, randomTensor, readNpy, relErr, rng, runModel } from './helpers.js';

test('EfficientNet-style (SiLU, squeeze-excitation, depthwise conv, BN, residual): gradients match finite differences', async () => {
  const { g, logits, block, classes } = efficientNetLike();
  const x = randomTensor([2, 3, 12, 12], rng(21));
  // smooth everywhere: every coordinate must agree
  const res = await finiteDifferenceCheck(g, logits, { input: x }, ['input'], { h: 1e-2, maxCoords: 150 });
  assert.ok(res.maxGrad > 1e-2, `gradient scale ${res.maxGrad}`);
  assert.ok(res.error < 3e-3, `input gradient error ${res.error}`);
  const dir = await directionalCheck(g, logits, { input: x }, 'input', { h: 1e-2 });
  assert.ok(dir.error < 1e-3, `directional error ${dir.error}`);
  await checkIntermediate(g, logits, block, classes, x);
});

test('DenseNet-style (dense Concat, BN-ReLU, Pad + AveragePool transition): gradients match finite differences', async () => {
  const { g, logits, block, classes } = denseNetLike();
  const x = randomTensor([2, 3, 10, 10], rng(21));
  // ReLU kinks: a few coordinates whose ±h step crosses a kink disagree; a wrong rule would make most disagree
  const res = await finiteDifferenceCheck(g, logits, { input: x }, ['input'], { h: 1e-3, maxCoords: 150 });
  assert.ok(res.maxGrad > 1e-2, `gradient scale ${res.maxGrad}`);
  assert.ok(quantile(res.errors, 0.5) < 1e-3, `median error ${quantile(res.errors, 0.5)}`);
  assert.ok(quantile(res.errors, 0.9) < 5e-3, `90th percentile error ${quantile(res.errors, 0.9)}`);
  await checkIntermediate(g, logits, block, classes, x);
});

test('ViT-style (patch Conv, class token, LayerNorm, attention with Softmax, Gelu MLP, Gather): gradients match finite differences', async () => {
  const { g, logits, block, classes } = vitLike();
  const x = randomTensor([2, 3, 16, 16], rng(23));
  const res = await finiteDifferenceCheck(g, logits, { input: x }, ['input'], { h: 1e-2, maxCoords: 150 });
  assert.ok(res.maxGrad > 1e-2, `gradient scale ${res.maxGrad}`);
  assert.ok(res.error < 3e-3, `input gradient error ${res.error}`);
  await checkIntermediate(g, logits, block, classes, x);
});

/** The gradient w.r.t. an intermediate tensor equals the input gradient of the sub-model that starts there. */
async function checkIntermediate(g: OnnxGraph, logits: string, block: string, classes: number, x: Tensor): Promise<void> {
  const back = buildBackwardGraph(g.model, { target: logits, wrt: [block], fetch: [block], feedDims: { input: ['N', ...x.dims.slice(1)] } });
  const w = randomTensor([x.dims[0]!, classes], rng(4));
  const out = await runModel(back.graph, { input: x, [back.seedInput!]: w }, [block, back.gradients[block]!]);
  const sub = subModelFrom(g, block, [...out[block]!.dims]);
  const back2 = buildBackwardGraph(sub.model, { target: logits, wrt: [block], feedDims: { [block]: ['N', ...out[block]!.dims.slice(1)] } });
  const out2 = await runModel(back2.graph, { [block]: out[block]!, [back2.seedInput!]: w }, [back2.gradients[block]!]);
  const err = relErr(out[back.gradients[block]!]!.data, out2[back2.gradients[block]!]!.data);
  assert.ok(err < 1e-5, `intermediate gradient differs from the sub-model's input gradient: ${err}`);
  const fd = await finiteDifferenceCheck(sub, logits, { [block]: out[block]! }, [block], { h: 1e-3, maxCoords: 100 });
  assert.ok(quantile(fd.errors, 0.5) < 1e-3, `intermediate gradient median FD error ${quantile(fd.errors, 0.5)}`);
}

/** The nodes after `start` as their own model whose input is `start`. */
function subModelFrom(g: OnnxGraph, start: string, dims: number[]): OnnxGraph {
  const sub = OnnxGraph.copyOf(g.model);
  const keep = new Set<string>([start]);
  const nodes = sub.graph.node.filter((n) => {
    if (n.input.some((i) => keep.has(i))) {
      n.output.forEach((o) => keep.add(o));
      return true;
    }
    return false;
  });
  sub.graph.node.splice(0, sub.graph.node.length, ...nodes);
  sub.graph.input.splice(0, sub.graph.input.length);
  return new OnnxGraph((sub.addInput(start, ['N', ...dims.slice(1)]), sub.model));
}

test('batch items are independent and the graph serves any batch size', async () => {
  const { g, logits } = efficientNetLike();
  const r = rng(5);
  const a = randomTensor([1, 3, 12, 12], r);
  const b = randomTensor([1, 3, 12, 12], r);
  const back = buildBackwardGraph(g.model, { target: logits, wrt: ['input'], feedDims: { input: ['N', 3, 12, 12] } });
  const seedA = randomTensor([1, 5], r);
  const seedB = randomTensor([1, 5], r);
  const one = await runModel(back.graph, { input: a, [back.seedInput!]: seedA }, [back.gradients.input!]);
  const both = await runModel(back.graph, { input: Tensor.concat([a, b]), [back.seedInput!]: Tensor.concat([seedA, seedB]) }, [back.gradients.input!]);
  const ga = one[back.gradients.input!]!;
  const gab = both[back.gradients.input!]!;
  assert.deepEqual(gab.dims, [2, 3, 12, 12]);
  assert.ok(relErr(gab.data.subarray(0, ga.size), ga.data) < 1e-6);
});

/** x [1,6] → Relu → ×c → Relu → Gemm(W) → logits [1,3]; the expected modified gradients are computed here in float64. */
function reluChain(): { g: OnnxGraph; x: number[]; c: number[]; w: number[][] } {
  const x = [0.5, -0.3, 1.2, 0.7, -1.1, 0.2];
  const c = [1.5, 2, 0.5, -0.7, 1, -1.3];
  const w = [[0.3, -1.2, 0.8], [1.1, 0.4, -0.6], [-0.9, 0.7, 0.2], [0.5, -0.5, 1.3], [-0.2, 0.9, -1.1], [0.6, 0.1, -0.4]];
  const g = emptyModel({ input: [1, 6] });
  const a = g.op('Relu', ['input']);
  const m = g.op('Mul', [a, g.addInitializer(Float32Array.from(c), [6])]);
  const b = g.op('Relu', [m]);
  const logits = g.op('Gemm', [b, g.addInitializer(Float32Array.from(w.flat()), [6, 3])]);
  g.setOutputs([logits]);
  return { g, x, c, w };
}

test('rule sets: guided and deconvnet modify only Relu, as Captum', async () => {
  const { g, x, c, w } = reluChain();
  const seed = [0.7, -1.2, 0.4];
  const relu = (v: number): number => Math.max(0, v);
  const gb = w.map((row) => row.reduce((s, wi, k) => s + wi * seed[k]!, 0));
  const m = x.map((v, i) => relu(v) * c[i]!);
  const expected = {
    gradient: x.map((v, i) => (v > 0 ? 1 : 0) * c[i]! * (m[i]! > 0 ? gb[i]! : 0)),
    guided: x.map((v, i) => relu((v > 0 ? 1 : 0) * c[i]! * relu(m[i]! > 0 ? gb[i]! : 0))),
    deconvnet: x.map((_, i) => relu(c[i]! * relu(gb[i]!))),
  };
  for (const ruleSet of ['gradient', 'guided', 'deconvnet'] as const) {
    const back = buildBackwardGraph(g.model, { target: g.graph.output[0]!.name, wrt: ['input'], ruleSet });
    const out = await runModel(back.graph, { input: new Tensor(Float32Array.from(x), [1, 6]), [back.seedInput!]: new Tensor(Float32Array.from(seed), [1, 3]) }, [back.gradients.input!]);
    const got = Array.from(out[back.gradients.input!]!.data);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[ruleSet][i]!) < 1e-5, `${ruleSet}[${i}]: ${v} vs ${expected[ruleSet][i]}`));
  }
  assert.notDeepEqual(expected.guided, expected.deconvnet);
  assert.notDeepEqual(expected.guided, expected.gradient);
});

test('paired rule sets see the reference half of any tensor (DeepLIFT extension point)', async () => {
  // Rescale rule on Relu: grad · Δy/Δx, with Δ against the reference half of the batch
  registerRuleSet({
    name: 'test-rescale',
    description: 'test only',
    paired: true,
    overrides: {
      Relu: ({ node, gradOutputs, ops, paired }) => {
        const [x, y] = [node.input[0]!, node.output[0]!];
        const dx = ops.sub(x, paired!.reference(x));
        const dy = ops.sub(y, paired!.reference(y));
        return [ops.mul(gradOutputs[0]!, ops.div(dy, dx))];
      },
    },
  });
  const g = emptyModel({ input: ['N', 4] });
  const logits = g.op('Gemm', [g.op('Relu', ['input']), g.addInitializer(Float32Array.of(1, -2, 0.5, 3, -1, 1, 2, 0.5), [4, 2])]);
  g.setOutputs([logits]);
  const x = [1.5, -0.5, 0.8, 2];
  const ref = [0.5, 0.5, -0.4, -1];
  const back = buildBackwardGraph(g.model, { target: logits, wrt: ['input'], ruleSet: 'test-rescale', feedDims: { input: ['N', 4] } });
  const out = await runModel(back.graph, { input: new Tensor(Float32Array.from([...x, ...ref]), [2, 4]), [back.seedInput!]: new Tensor(Float32Array.of(1, 0, 0, 0), [2, 2]) }, [back.gradients.input!]);
  const wCol = [1, 0.5, -1, 2];
  const relu = (v: number): number => Math.max(0, v);
  x.forEach((v, i) => {
    const expected = (wCol[i]! * (relu(v) - relu(ref[i]!))) / (v - ref[i]!);
    assert.ok(Math.abs(out[back.gradients.input!]!.data[i]! - expected) < 1e-6, `multiplier ${i}`);
  });
});

test('a missing rule is UNSUPPORTED_OP naming the op, the node and the methods that still work', async () => {
  const g = emptyModel({ input: ['N', 4] });
  const h = g.addNode('Cos', ['input'], ['cosine'])[0]!;
  g.graph.node[g.graph.node.length - 1]!.name = 'my_cos_node';
  const logits = g.op('MatMul', [h, g.addInitializer(new Float32Array(8), [4, 2])]);
  g.setOutputs([logits]);
  // the autodiff layer names the op and the node…
  assert.throws(
    () => buildBackwardGraph(g.model, { target: logits, wrt: ['input'] }),
    (e: unknown) => e instanceof NoGradientRuleError && e.code === 'UNSUPPORTED_OP' && /Cos/.test(e.message) && /my_cos_node/.test(e.message),
  );
  // …and the method layer adds the methods that only run the model, from their metadata
  const model = LumenModel.fromBytes(g.toBytes(), { runtime: nodeRuntime(), source: 'cos.onnx' });
  await assert.rejects(
    getMethod('saliency').explain(model, new Tensor(new Float32Array(4), [1, 4])),
    (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /Cos/.test(e.message) && /my_cos_node/.test(e.message) && /occlusion/.test(e.message) && /scorecam/.test(e.message),
  );
  // …but differentiating only after it works
  assert.doesNotThrow(() => buildBackwardGraph(g.model, { target: logits, wrt: ['cosine'] }));
});

test('MaxPool at opset 13 (no ScatterElements reduction): non-overlapping and overlapping windows', async () => {
  for (const [kernel, stride] of [[2, 2], [3, 2]] as const) {
    const g = emptyModel({ x: [1, 2, 7, 6] }, 13);
    const y = g.op('MaxPool', ['x'], { kernel_shape: { ints: [kernel, kernel] }, strides: { ints: [stride, stride] }, pads: { ints: [1, 0, 0, 1] } });
    g.setOutputs([y]);
    const x = new Tensor(Float32Array.from({ length: 84 }, (_, i) => ((i * 37) % 84) * 0.05 - 2), [1, 2, 7, 6]);
    const res = await finiteDifferenceCheck(g, y, { x }, ['x']);
    assert.ok(res.error < 3e-3 && res.maxGrad > 0.1, `kernel ${kernel}: error ${res.error}`);
  }
});

test('MaxPool with a dynamic spatial size falls back to Indices; overlapping windows then need opset 16', () => {
  const g = emptyModel({ x: [1, 2, 'H', 'W'] }, 13);
  const y = g.op('MaxPool', ['x'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] } });
  g.setOutputs([y]);
  assert.throws(() => buildBackwardGraph(g.model, { target: y, wrt: ['x'] }), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /opset/.test(e.message));
});

test('MaxPool gradient: the Indices fallback (dynamic sizes) equals the unfolded form (static sizes)', async () => {
  const g = emptyModel({ x: ['N', 3, 'H', 'W'] }, 17);
  const y = g.op('MaxPool', ['x'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] }, ceil_mode: { i: 1 } });
  g.setOutputs([y]);
  const x = new Tensor(Float32Array.from({ length: 2 * 3 * 9 * 8 }, (_, i) => Math.round(Math.sin(i * 1.7) * 4) / 4), [2, 3, 9, 8]);
  const fallback = buildBackwardGraph(g.model, { target: y, wrt: ['x'] });
  const unfolded = buildBackwardGraph(g.model, { target: y, wrt: ['x'], feedDims: { x: ['N', 3, 9, 8] } });
  assert.ok(fallback.graph.nodes.some((n) => n.opType === 'ScatterElements'));
  assert.ok(!unfolded.graph.nodes.some((n) => n.opType === 'ScatterElements'));
  const seed = randomTensor([2, 3, 5, 5], rng(2));
  const a = await runModel(fallback.graph, { x, [fallback.seedInput!]: seed }, [fallback.gradients.x!]);
  const b = await runModel(unfolded.graph, { x, [unfolded.seedInput!]: seed }, [unfolded.gradients.x!]);
  // many exact ties (values on a 0.25 grid): both must pick the first maximum and add overlapping windows
  const [ga, gb] = [a[fallback.gradients.x!]!.data, b[unfolded.gradients.x!]!.data];
  assert.deepEqual(Array.from(gb, (v) => v !== 0), Array.from(ga, (v) => v !== 0), 'same positions receive gradient');
  assert.ok(relErr(gb, ga) < 1e-6, 'same values up to summation order');
});

test('MaxPool ties go to the first maximum of the window only', async () => {
  const g = emptyModel({ x: [1, 1, 2, 4] });
  const y = g.op('MaxPool', ['x'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } });
  g.setOutputs([y]);
  const back = buildBackwardGraph(g.model, { target: y, wrt: ['x'] });
  const out = await runModel(back.graph, { x: new Tensor(Float32Array.of(1, 1, 2, 0, 1, 1, 0, 2), [1, 1, 2, 4]), [back.seedInput!]: new Tensor(Float32Array.of(3, 5), [1, 1, 1, 2]) }, [back.gradients.x!]);
  assert.deepEqual(Array.from(out[back.gradients.x!]!.data), [3, 0, 5, 0, 0, 0, 0, 0]);
});

test("output 'probability' differentiates softmax(logits): equals p_c(∇z_c − Σ_k p_k ∇z_k) built from logit gradients", async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  const c = 9;
  const onehot = (k: number): Tensor => {
    const t = Tensor.zeros([1, 10]);
    t.data[k] = 1;
    return t;
  };
  const prob = await computeGradients(model, x, onehot(c), { wrt: [model.inputName], output: 'probability' });
  const logits = prob.logits.data;
  const mx = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - mx));
  const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
  const expected = new Float64Array(x.size);
  for (let k = 0; k < 10; k++) {
    const gk = (await computeGradients(model, x, onehot(k), { wrt: [model.inputName] })).gradients[model.inputName]!.data;
    const coef = p[c]! * ((k === c ? 1 : 0) - p[k]!);
    for (let i = 0; i < x.size; i++) expected[i] += coef * gk[i]!;
  }
  const err = relErr(prob.gradients[model.inputName]!.data, expected);
  assert.ok(err < 1e-4, `probability gradient error ${err}`);
  await model.dispose();
});

test('computeGradients caches the compiled graph per request and rejects bad requests', async () => {
  const model = await loadModel('conformance/models/tiny_vgg.onnx');
  const x = readNpy('conformance/inputs/chelsea64.npy');
  const seed = Tensor.zeros([1, 10]);
  seed.data[3] = 1;
  const first = await computeGradients(model, x, seed, { wrt: [model.inputName] });
  const second = await computeGradients(model, x, seed, { wrt: [model.inputName] });
  assert.ok(first.compileMs > 0);
  assert.equal(second.compileMs, 0);
  assert.deepEqual(Array.from(first.gradients[model.inputName]!.data), Array.from(second.gradients[model.inputName]!.data));
  await assert.rejects(computeGradients(model, x, seed, { wrt: ['no_such_tensor'] }), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_LAYER');
  await assert.rejects(computeGradients(model, x, Tensor.zeros([2, 10]), { wrt: [model.inputName] }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await assert.rejects(computeGradients(model, x, seed, { wrt: [model.inputName], ruleSet: 'nope' }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await model.dispose();
});
