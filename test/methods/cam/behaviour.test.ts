import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resizeMapBilinear } from '../../../src/image/preprocess.js';
import { LumenError } from '../../../src/errors.js';
import { headGraph } from '../../../src/onnx/subgraph.js';
import { OnnxGraph } from '../../../src/onnx/graph.js';
import { LumenModel } from '../../../src/model.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import { Tensor } from '../../../src/tensor.js';
import { getMethod } from '../../../src/methods/registry.js';
import * as cams from '../../../src/methods/cam/index.js';
import { layerOf, manifest, model, readNpy, relErr, absErr } from './helpers.js';

const fashion = manifest.cases.find((c) => c.model === 'fashion_cnn')!;
const resnetCase = manifest.cases.find((c) => c.model === 'tiny_resnet')!;

function range(t: Tensor): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return [min, max];
}

test('every CAM method is registered under its id and aliases', () => {
  for (const id of ['gradcam', 'hirescam', 'gradcam++', 'gradcampp', 'xgradcam', 'layercam', 'gradcam-elementwise', 'eigencam', 'eigengradcam', 'scorecam', 'ablationcam', 'cam', 'fullgrad', 'guided-gradcam', 'layer-gradcam']) {
    assert.equal(getMethod(id).info.family, 'cam', id);
  }
  assert.equal(getMethod('gradcampp'), getMethod('gradcam++'));
});

test('CAM equals Grad-CAM up to the factor h·w on a GAP + linear head', async () => {
  const m = await model('fashion_cnn');
  const input = readNpy(fashion.input_file);
  const layer = layerOf('fashion_cnn');
  const a = await cams.cam.explain(m, input, { target: [3, 9, 0], layer, raw: true });
  const g = await cams.gradcam.explain(m, Tensor.concat([input, input, input]), { target: [3, 9, 0], layer, raw: true });
  const rawCam = (a.extras.raw as Tensor).data;
  const rawGrad = (g.extras.raw as Tensor).data;
  const hw = 7 * 7;
  assert.ok(relErr(rawCam, rawGrad.map((v) => v * hw)) < 1e-5, 'raw CAM = h·w × raw Grad-CAM');
  assert.ok(absErr(a.attribution.data, g.attribution.data) < 1e-5, 'final maps equal');
  assert.deepEqual(a.targets, [3, 9, 0]);
});

test('CAM refuses a head that is not global-average-pool + linear, naming the alternative', async () => {
  const m = await model('tiny_vgg');
  const input = readNpy(manifest.cases.find((c) => c.model === 'tiny_vgg')!.input_file);
  await assert.rejects(cams.cam.explain(m, input, { target: 0, layer: layerOf('tiny_vgg') }), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_MODEL' && /gradcam/.test(e.message));
});

test('several targets for one image run as one batch and equal one-by-one runs', async () => {
  const m = await model('fashion_cnn');
  const input = readNpy(fashion.input_file);
  const layer = layerOf('fashion_cnn');
  const classes = [9, 7, 5];
  for (const method of [cams.gradcam, cams.scorecam, cams.ablationcam]) {
    const together = await method.explain(m, input, { target: classes, layer });
    assert.deepEqual(together.attribution.dims, [3, 1, 28, 28]);
    assert.deepEqual(together.targets, classes);
    const size = 28 * 28;
    for (const [i, k] of classes.entries()) {
      const alone = await method.explain(m, input, { target: k, layer });
      assert.ok(absErr(together.attribution.data.subarray(i * size, (i + 1) * size), alone.attribution.data) < 1e-6, `${method.info.id} class ${k}`);
    }
    // Different classes give different maps (the batch is not one map repeated).
    assert.ok(absErr(together.attribution.data.subarray(0, size), together.attribution.data.subarray(size, 2 * size)) > 1e-2);
  }
});

test('top-k and default targets: resolved to the k-th most likely class, same map as that class given explicitly', async () => {
  const m = await model('fashion_cnn');
  const input = readNpy(fashion.input_file);
  const layer = layerOf('fashion_cnn');
  const { logits } = await m.forward(input);
  const order = Array.from(logits.data).map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]).map((p) => p[1]);
  for (const method of [cams.gradcam, cams.scorecam]) {
    const second = await method.explain(m, input, { target: 'top2', layer });
    assert.deepEqual(second.targets, [order[1]]);
    const explicit = await method.explain(m, input, { target: order[1]!, layer });
    assert.ok(absErr(second.attribution.data, explicit.attribution.data) < 1e-6);
    const byDefault = await method.explain(m, input, { layer });
    assert.deepEqual(byDefault.targets, [order[0]]);
  }
});

test('several layers: each layer map as alone, then ReLU, mean and a second min-max', async () => {
  const m = await model('tiny_resnet');
  const input = readNpy(resnetCase.input_file);
  const layers = ['/layer2/layer2.1/relu2/Relu_output_0', layerOf('tiny_resnet')];
  const both = await cams.gradcam.explain(m, input, { target: 6, layer: layers, raw: true });
  const maps: Float32Array[] = [];
  for (const layer of layers) {
    const alone = await cams.gradcam.explain(m, input, { target: 6, layer, raw: true });
    const raw = both.extras[`raw:${layer}`] as Tensor;
    assert.ok(relErr(raw.data, (alone.extras.raw as Tensor).data) < 1e-6, `raw of ${layer}`);
    const [, , h, w] = raw.dims as number[];
    const relu = raw.data.map((v) => Math.max(v, 0));
    const min = Math.min(...relu);
    const max = Math.max(...relu.map((v) => v - min));
    const scaled = relu.map((v) => (v - min) / (max + 1e-7));
    maps.push(resizeMapBilinear(scaled, w!, h!, 64, 64).map((v) => Math.max(v, 0)));
  }
  assert.equal((both.extras[`raw:${layers[0]}`] as Tensor).dims[2], 16);
  const mean = maps[0]!.map((v, i) => (v + maps[1]![i]!) / 2);
  const min = Math.min(...mean);
  const max = Math.max(...mean.map((v) => v - min));
  const expected = mean.map((v) => (v - min) / (max + 1e-7));
  assert.ok(absErr(both.attribution.data, expected) < 1e-6);
});

test('augSmooth is the mean of the six flip × scale runs, mapped back; maps in [0, 1]', async () => {
  const m = await model('tiny_resnet');
  const input = readNpy(resnetCase.input_file);
  const layer = layerOf('tiny_resnet');
  const smooth = await cams.gradcam.explain(m, input, { target: 6, layer, augSmooth: true });
  assert.deepEqual(smooth.attribution.dims, [1, 1, 64, 64]);
  const [lo, hi] = range(smooth.attribution);
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.5, `range [${lo}, ${hi}]`);
  const flip = (d: Float32Array, planes: number): Float32Array => {
    const out = new Float32Array(d.length);
    for (let p = 0; p < planes; p++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) out[(p * 64 + y) * 64 + x] = d[(p * 64 + y) * 64 + 63 - x]!;
    return out;
  };
  const sum = new Float64Array(64 * 64);
  for (const flipped of [false, true]) {
    for (const factor of [0.9, 1, 1.1]) {
      const x = (flipped ? flip(input.data, 3) : input.data.slice()).map((v) => v * factor);
      const r = await cams.gradcam.explain(m, new Tensor(x, input.dims), { target: 6, layer });
      const back = flipped ? flip(r.attribution.data, 1) : r.attribution.data;
      back.forEach((v, i) => (sum[i]! += v / 6));
    }
  }
  assert.ok(absErr(smooth.attribution.data, sum) < 1e-5);
  const plain = await cams.gradcam.explain(m, input, { target: 6, layer });
  assert.ok(absErr(smooth.attribution.data, plain.attribution.data) > 1e-3, 'augmentation changes the map');
});

test('eigenSmooth: first principal component of w·A; [N,1,H,W] in [0, 1] for every smoothing method', async () => {
  const m = await model('tiny_resnet');
  const input = readNpy(resnetCase.input_file);
  const layer = layerOf('tiny_resnet');
  for (const method of [cams.gradcam, cams.hirescam, cams.layercam, cams.gradcamPlusPlus, cams.eigengradcam, cams.gradcamElementwise]) {
    const e = await method.explain(m, Tensor.concat([input, input]), { target: [6, 1], layer, eigenSmooth: true, raw: true });
    assert.deepEqual(e.attribution.dims, [2, 1, 64, 64]);
    const [lo, hi] = range(e.attribution);
    assert.ok(lo === 0 && hi > 0.99 && hi <= 1, `${method.info.id}: range [${lo}, ${hi}]`);
  }
  // The projection is rank one: raw = M·v1 with v1 the top right singular vector of the centred w·A. Check it
  // against a power iteration done here.
  const e = await cams.gradcam.explain(m, input, { target: 6, layer, eigenSmooth: true, raw: true });
  const A = (await m.forward(input, [layer])).tensors[layer]!;
  const w = (e.extras.weights as Tensor).data;
  const [c, hw] = [64, 64];
  const M = Array.from({ length: hw }, (_, p) => Array.from({ length: c }, (_, ch) => w[ch]! * A.data[ch * hw + p]!));
  for (let ch = 0; ch < c; ch++) {
    const mean = M.reduce((s, row) => s + row[ch]!, 0) / hw;
    for (const row of M) row[ch]! -= mean;
  }
  let v = Array.from({ length: c }, (_, i) => 1 + i / c);
  for (let it = 0; it < 3000; it++) {
    const u = M.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
    const next = v.map((_, j) => M.reduce((s, row, p) => s + row[j]! * u[p]!, 0));
    const norm = Math.hypot(...next);
    v = next.map((x) => x / norm);
  }
  const projection = M.map((row) => row.reduce((s, x, j) => s + x * v[j]!, 0));
  const raw = (e.extras.raw as Tensor).data;
  const err = Math.min(relErr(raw, projection), relErr(raw, projection.map((x) => -x)));
  assert.ok(err < 1e-4, `projection rel err ${err}`);
});

test('head graph: the rest of the network from a layer reproduces the logits; skip connections keep the image input', async () => {
  const m = await model('tiny_resnet');
  const input = readNpy(resnetCase.input_file);
  for (const [layer, bypassed] of [[layerOf('tiny_resnet'), false], ['/layer3/layer3.1/relu1/Relu_output_0', true]] as const) {
    const head = headGraph(m.proto, layer, [m.logitsName]);
    assert.equal(head.needsModelInput, bypassed, layer);
    const { logits, tensors } = await m.forward(input, [layer]);
    const session = await m.runtime.createSession(head.graph.toBytes());
    const feeds: Record<string, Tensor> = { [layer]: tensors[layer]! };
    if (bypassed) feeds[m.inputName] = input;
    const out = await session.run(feeds, [m.logitsName]);
    assert.ok(absErr(out[m.logitsName]!.data, logits.data) < 1e-5, layer);
    // The head really starts at the layer: zeroing the layer changes the logits.
    feeds[layer] = Tensor.zeros(tensors[layer]!.dims);
    const zeroed = await session.run(feeds, [m.logitsName]);
    assert.ok(absErr(zeroed[m.logitsName]!.data, logits.data) > 1e-3);
    await session.dispose();
  }
});

/**
 * input [N,1,4,4] → Conv 1×1 (3 channels, bias) = layer → GlobalAveragePool → Flatten → Gemm (2 classes): a
 * linear head. With `matmul`, the head is MatMul by the transposed weight + Add instead of Gemm.
 */
async function linearHeadModel(matmul = false): Promise<LumenModel> {
  const base = await model('fashion_cnn');
  const g = OnnxGraph.copyOf(base.proto);
  for (const list of [g.graph.node, g.graph.initializer, g.graph.input, g.graph.output, g.graph.valueInfo]) list.splice(0);
  g.addInput('input', ['batch', 1, 4, 4]);
  const convW = g.addInitializer(Float32Array.of(1.5, -2, 0.5), [3, 1, 1, 1], 'conv_w');
  const convB = g.addInitializer(Float32Array.of(0.1, -0.3, 0.2), [3], 'conv_b');
  g.addNode('Conv', ['input', convW, convB], ['layer']);
  const pooled = g.op('GlobalAveragePool', ['layer']);
  const flat = g.op('Flatten', [pooled]);
  const fcB = g.addInitializer(Float32Array.of(0.05, -0.1), [2], 'fc_b');
  if (matmul) {
    const fcWt = g.addInitializer(Float32Array.of(0.7, -0.2, -0.4, 0.9, 1.1, 0.3), [3, 2], 'fc_wt');
    g.addNode('Add', [g.op('MatMul', [flat, fcWt]), fcB], ['logits']);
  } else {
    const fcW = g.addInitializer(Float32Array.of(0.7, -0.4, 1.1, -0.2, 0.9, 0.3), [2, 3], 'fc_w');
    g.addNode('Gemm', [flat, fcW, fcB], ['logits'], { transB: { i: 1 } });
  }
  g.addOutput('logits', ['batch', 2]);
  return LumenModel.fromProto(g.model, { runtime: nodeRuntime(), source: 'linear-head' });
}

test('AblationCAM reproduces the ablation value quirk when the minimum is not 0: min − (i+1)·1e7 for the i-th item of a batch', async () => {
  const m = await linearHeadModel();
  const x = new Tensor(Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.3) + 0.2), [1, 1, 4, 4]);
  const { logits, tensors } = await m.forward(x, ['layer']);
  const A = tensors.layer!;
  const min = Math.min(...A.data);
  assert.ok(min < 0);
  const target = 0;
  const fc = [0.7, -0.4, 1.1];
  const s = logits.data[target]!;
  const meanOf = (c: number): number => A.data.subarray(c * 16, (c + 1) * 16).reduce((a, b) => a + b, 0) / 16;
  // Linear head: ablating channel c to the constant v changes the score by fc[c]·(mean(A_c) − v).
  const expected = (values: number[]): number[] => fc.map((w, c) => (w * (meanOf(c) - values[c]!)) / s);
  const v1 = Math.fround(min - 1e7);
  const v2 = Math.fround(v1 - 1e7);
  const v3 = Math.fround(v2 - 1e7);
  for (const [batchSize, values] of [[32, [v1, v2, v3]], [2, [v1, v2, v1]], [1, [v1, v1, v1]]] as const) {
    const e = await cams.ablationcam.explain(m, x, { target, layer: 'layer', raw: true, batchSize });
    const w = Array.from((e.extras.weights as Tensor).data);
    assert.ok(relErr(w, expected([...values])) < 1e-4, `batchSize ${batchSize}: ${w} vs ${expected([...values])}`);
  }
  // Classic CAM on the same linear head: weights are the class's row of the Gemm weight / column of the MatMul one.
  for (const head of [m, await linearHeadModel(true)]) {
    const c = await cams.cam.explain(head, x, { target: 1, layer: 'layer', raw: true });
    assert.deepEqual(Array.from((c.extras.weights as Tensor).data).map((v) => Math.round(v * 1e6) / 1e6), [-0.2, 0.9, 0.3]);
  }
});

test('probability and weighted targets: d p_k/dA = Σ_j p_k (δ_jk − p_j) d z_j/dA, so Grad-CAM of p_k = Grad-CAM of those weights', async () => {
  const m = await model('fashion_cnn');
  const input = readNpy(fashion.input_file);
  const layer = layerOf('fashion_cnn');
  const k = 7;
  const prob = await cams.gradcam.explain(m, input, { target: { class: k, output: 'probability' }, layer, raw: true });
  const { logits } = await m.forward(input);
  const z = Array.from(logits.data);
  const zmax = Math.max(...z);
  const total = z.reduce((a, v) => a + Math.exp(v - zmax), 0);
  const p = z.map((v) => Math.exp(v - zmax) / total);
  const weights = p.map((pj, j) => p[k]! * ((j === k ? 1 : 0) - pj));
  const weighted = await cams.gradcam.explain(m, input, { target: { weights }, layer, raw: true });
  assert.deepEqual(weighted.targets, [-1]);
  assert.ok(relErr((prob.extras.raw as Tensor).data, (weighted.extras.raw as Tensor).data) < 1e-4);
  const logit = await cams.gradcam.explain(m, input, { target: k, layer, raw: true });
  assert.ok(relErr((prob.extras.raw as Tensor).data, (logit.extras.raw as Tensor).data) > 1e-2, 'differs from the logit map');
});

test('NHWC model files: same maps as the NCHW model on the same NCHW input', async () => {
  const base = await model('tiny_resnet');
  const g = OnnxGraph.copyOf(base.proto);
  const old = g.graph.input.findIndex((i) => i.name === base.inputName);
  g.graph.input.splice(old, 1);
  g.addInput('image_nhwc', ['batch', 64, 64, 3]);
  g.addNode('Transpose', ['image_nhwc'], [base.inputName], { perm: { ints: [0, 3, 1, 2] } });
  g.graph.node.unshift(g.graph.node.pop()!);
  const nhwc = LumenModel.fromProto(g.model, { runtime: nodeRuntime(), source: 'nhwc' });
  assert.equal(nhwc.fileLayout, 'NHWC');
  const x = readNpy(resnetCase.input_file);
  const layer = layerOf('tiny_resnet');
  const cases: [string, Record<string, unknown>][] = [
    ['gradcam', { augSmooth: true }],
    ['scorecam', {}],
    ['fullgrad', {}],
    ['guided-gradcam', {}],
  ];
  for (const [id, extra] of cases) {
    const a = await getMethod(id).explain(base, x, { target: 6, layer, ...extra });
    const b = await getMethod(id).explain(nhwc, x, { target: 6, layer, ...extra });
    assert.deepEqual(b.attribution.dims, a.attribution.dims, id);
    assert.ok(absErr(b.attribution.data, a.attribution.data) < 1e-5 * Math.max(...a.attribution.data.map(Math.abs)), id);
  }
});

test('Score-CAM and Ablation-CAM report progress per batch and stop on an aborted signal', async () => {
  const m = await model('fashion_cnn');
  const input = readNpy(fashion.input_file);
  const layer = layerOf('fashion_cnn');
  for (const method of [cams.scorecam, cams.ablationcam]) {
    const events: number[] = [];
    await method.explain(m, input, { target: 9, layer, batchSize: 40, onProgress: (e) => events.push(e.done, e.total) });
    assert.deepEqual(events, [40, 96, 80, 96, 96, 96], method.info.id); // 96 channels in batches of 40
    const controller = new AbortController();
    const run = method.explain(m, input, { target: 9, layer, batchSize: 16, signal: controller.signal, onProgress: () => controller.abort() });
    await assert.rejects(run, (e: unknown) => e instanceof LumenError && e.code === 'CANCELLED');
  }
});

test('bad options fail with clear errors', async () => {
  const m = await model('fashion_cnn');
  const input = readNpy(fashion.input_file);
  await assert.rejects(cams.scorecam.explain(m, input, { target: 9, batchSize: 0 }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await assert.rejects(cams.gradcam.explain(m, input, { target: 9, layer: 'no/such/layer' }), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_LAYER');
  await assert.rejects(cams.gradcam.explain(m, input, { target: 12 }), (e: unknown) => e instanceof LumenError && e.code === 'TARGET_RANGE');
  await assert.rejects(cams.gradcam.explain(m, input, { target: 'top11' }), (e: unknown) => e instanceof LumenError && e.code === 'TARGET_RANGE');
  await assert.rejects(cams.cam.explain(m, input, { target: { class: 9, output: 'probability' } }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
});
