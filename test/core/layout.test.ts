import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGradients } from '../../src/autodiff/index.js';
import { LumenError } from '../../src/errors.js';
import { describeLayout, fromNchw, parseLayerLayout, toNchw } from '../../src/layout.js';
import { LumenModel } from '../../src/model.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod, listMethods } from '../../src/methods/registry.js';
import '../../src/metrics/index.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { listMetrics } from '../../src/metrics/registry.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import type { OnnxGraph } from '../../src/onnx/graph.js';
import { Tensor } from '../../src/tensor.js';
import { emptyModel, maxAbs, randn, rng } from '../autodiff/helpers.js';

// The layout contract (src/layout.ts): a natively channels-last network — tf2onnx's pattern, NHWC tensors between
// Transpose→Conv→Transpose sandwiches, NHWC-native element-wise ops and a ReduceMean over axes 1, 2 — explains
// exactly like the same network written channels-first, with every method and metric, on NCHW inputs.

const runtime = nodeRuntime({ threads: 1 });
const [C, H, W, K] = [3, 16, 12, 5];

function weights(n: number, seed: number, scale: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => scale * randn(r));
}

/** The same random network, channels-first or as tf2onnx writes a Keras model (channels-last between convs). */
function twin(channelsLast: boolean): LumenModel {
  const g = emptyModel({ input: channelsLast ? ['batch', H, W, C] : ['batch', C, H, W] });
  const perChannel = (values: Float32Array, name: string): string => g.addInitializer(values, channelsLast ? [values.length] : [values.length, 1, 1], name);
  const toNchw = (x: string): string => (channelsLast ? g.op('Transpose', [x], { perm: { ints: [0, 3, 1, 2] } }) : x);
  const toNhwc = (x: string, out: string): string => (channelsLast ? g.addNode('Transpose', [x], [out], { perm: { ints: [0, 2, 3, 1] } })[0]! : g.addNode('Identity', [x], [out])[0]!);
  // input normalization as Keras models carry it (x·s + t per channel)
  const scaled = g.op('Mul', ['input', perChannel(Float32Array.of(1.2, 0.8, 1.1), 'in_scale')]);
  const normalized = g.addNode('Add', [scaled, perChannel(Float32Array.of(0.1, -0.2, 0.05), 'in_shift')], ['normalized'])[0]!;
  const w1 = g.addInitializer(weights(6 * C * 9, 1, 0.4), [6, C, 3, 3], 'w1');
  const conv1 = g.addNode('Conv', [toNchw(normalized), w1, g.addInitializer(weights(6, 2, 0.1), [6], 'b1')], ['conv1'], { pads: { ints: [1, 1, 1, 1] } })[0]!;
  const relu1 = g.addNode('Relu', [toNhwc(conv1, 'conv1_t')], ['relu1'])[0]!;
  const w2 = g.addInitializer(weights(8 * 6 * 9, 3, 0.3), [8, 6, 3, 3], 'w2');
  const conv2 = g.addNode('Conv', [toNchw(relu1), w2, g.addInitializer(weights(8, 4, 0.1), [8], 'b2')], ['conv2'], { pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } })[0]!;
  const relu2 = g.addNode('Relu', [toNhwc(conv2, 'conv2_t')], ['relu2'])[0]!;
  const gated = g.addNode('Mul', [relu2, perChannel(weights(8, 5, 1), 'gate')], ['gated'])[0]!;
  const features = g.addNode('Add', [gated, perChannel(weights(8, 6, 0.2), 'shift')], ['features'])[0]!;
  const pooled = g.op('ReduceMean', [features], { axes: { ints: channelsLast ? [1, 2] : [2, 3] }, keepdims: { i: 0 } });
  const logits = g.op('MatMul', [pooled, g.addInitializer(weights(8 * K, 7, 0.5), [8, K], 'head')]);
  g.addNode('Add', [logits, g.addInitializer(weights(K, 8, 0.1), [K], 'head_b')], ['logits']);
  g.setOutputs(['logits']);
  return LumenModel.fromProto(g.model, { runtime, source: channelsLast ? 'nhwc-twin' : 'nchw-twin' });
}

const image = new Tensor(weights(C * H * W, 9, 1), [1, C, H, W]);

function relErr(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.dims, b.dims);
  let m = 0;
  for (let i = 0; i < a.size; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m / Math.max(maxAbs(b.data), 1e-30);
}

/** Small settings so every method runs in well under a second on a 16×12 image. */
const METHOD_OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 8, baseline: 'blur', blurSigma: 2 },
  'gradient-shap': { baselines: 'blur', samples: 4, stdev: 0.1 },
  smoothgrad: { samples: 4 },
  'noise-tunnel': { samples: 4 },
  deeplift: { baseline: 'blur', blurSigma: 2 },
  'deeplift-shap': { samples: 4, baselines: 'blur' },
  lime: { numSamples: 64, segmentation: 'grid', gridSize: 4 },
  'kernel-shap': { numSamples: 64, segmentation: 'grid', gridSize: 4 },
  'feature-ablation': { segmentation: 'grid', gridSize: 4 },
  rise: { numMasks: 64, gridSize: 4 },
  occlusion: { slidingWindowShapes: [3, 4, 4], strides: [3, 2, 2] },
  gradcam: { augSmooth: true },
};

test('a channels-last file gets an NCHW input; its layers say their layouts', async () => {
  const [a, b] = [twin(false), twin(true)];
  assert.equal(a.fileLayout, 'NCHW');
  assert.equal(b.fileLayout, 'NHWC');
  assert.deepEqual(b.inputDims, ['batch', C, H, W]);
  const layers = new Map((await b.layers()).map((l) => [l.name, describeLayout(l.layout, l.shape)]));
  assert.equal(layers.get('conv1'), `NCHW ${H}×${W}`);
  assert.equal(layers.get('relu1'), `NHWC ${H}×${W}`);
  assert.equal(layers.get('features'), `NHWC ${H / 2}×${W / 2}`);
  assert.ok(!layers.has('input'), 'the channels-last copy of the input is not a layer');
  assert.equal(await b.defaultLayer(), 'features');
  assert.equal(await a.defaultLayer(), 'features');
  // the forward pass of the two files agrees
  const [la, lb] = [(await a.forward(image)).logits, (await b.forward(image)).logits];
  assert.ok(relErr(lb, la) < 1e-5);
  // a channels-last tensor is refused with a clear error
  await assert.rejects(b.forward(new Tensor(new Float32Array(C * H * W), [1, H, W, C])), (e: unknown) => e instanceof LumenError && e.code === 'INPUT_SHAPE');
  await a.dispose();
  await b.dispose();
});

test('every CAM, gradient and perturbation method: the channels-last network equals its NCHW twin (≤ 1e-5 relative)', async () => {
  await loadAllMethods();
  const [a, b] = [twin(false), twin(true)];
  const ids = listMethods().filter((m) => ['cam', 'gradient', 'perturbation'].includes(m.family)).map((m) => m.id);
  assert.ok(ids.length >= 30, `${ids.length} methods`);
  for (const id of ids) {
    // a layer inside the network too (CAM itself needs the layer right before the pooled linear head)
    const layers = getMethod(id).info.needsLayer && id !== 'cam' ? [undefined, 'relu1'] : [undefined];
    for (const layer of layers) {
      const options = { target: 2, seed: 3, ...(METHOD_OPTIONS[id] ?? {}), ...(layer ? { layer } : {}) };
      const ra = await getMethod(id).explain(a, image, options);
      const rb = await getMethod(id).explain(b, image, options);
      const want = getMethod(id).info.output === 'map' ? [1, 1, H, W] : [1, C, H, W];
      if (id !== 'layer-gradcam') assert.deepEqual(rb.attribution.dims, want, id);
      const e = relErr(rb.attribution, ra.attribution);
      assert.ok(e <= 1e-5, `${id}${layer ? ` on ${layer}` : ''}: relative difference ${e}`);
    }
  }
  // float64 explanation graphs go through the same input Transpose
  for (const id of ['saliency', 'integrated-gradients']) {
    const options = { target: 2, precision: 'float64', ...(METHOD_OPTIONS[id] ?? {}) };
    const e = relErr((await getMethod(id).explain(b, image, options)).attribution, (await getMethod(id).explain(a, image, options)).attribution);
    assert.ok(e <= 1e-9, `${id} float64: ${e}`);
  }
  await a.dispose();
  await b.dispose();
});

test('every metric: the channels-last network scores like its NCHW twin', async () => {
  const [a, b] = [twin(false), twin(true)];
  const metrics = listMetrics().map((m) => m.id);
  const region = { mask: Float32Array.from({ length: H * W }, (_, p) => (p % W >= 3 && Math.floor(p / W) < 8 ? 1 : 0)) };
  const options = { method: 'saliency', target: 1, metrics, seed: 2, regions: region, metricOptions: { 'model-randomization': { layers: 2 } } };
  const ra = await evaluate(a, image, options);
  const rb = await evaluate(b, image, options);
  assert.ok(ra.results.length >= 10);
  ra.results.forEach((r, i) => {
    const o = rb.results[i]!;
    assert.equal(o.metric, r.metric);
    assert.ok(Math.abs(o.value - r.value) <= 1e-5 * Math.max(1, Math.abs(r.value)), `${r.metric}: ${r.value} vs ${o.value}`);
  });
  await a.dispose();
  await b.dispose();
});

/**
 * A token network as vision transformers are exported: a patch-embedding Conv (stride = kernel), flatten, transpose,
 * `prefix` special tokens concatenated in front, a LayerNorm, a channel MatMul; the head reads the first token.
 */
function tokenModel(prefix: number): { model: LumenModel; graph: OnnxGraph } {
  const [Hi, Wi, P, D] = [16, 24, 4, 6];
  const g = emptyModel({ input: ['batch', 3, Hi, Wi] });
  const patches = g.addNode('Conv', ['input', g.addInitializer(weights(D * 3 * P * P, 11, 0.3), [D, 3, P, P], 'patch_w')], ['patches'], { strides: { ints: [P, P] } })[0]!;
  const flat = g.op('Reshape', [patches, g.int64s([0, D, (Hi / P) * (Wi / P)])]);
  const tokens = g.op('Transpose', [flat], { perm: { ints: [0, 2, 1] } });
  // learned special tokens broadcast to the batch (torchvision: class_token.expand(n, -1, -1))
  const batch = g.op('Slice', [g.op('Shape', ['input']), g.int64s([0]), g.int64s([1])]);
  const size = g.op('Concat', [batch, g.int64s([prefix, D])], { axis: { i: 0 } });
  const special = g.op('Expand', [g.addInitializer(weights(prefix * D, 12, 1), [1, prefix, D], 'special'), size]);
  const seq = g.addNode('Concat', [special, tokens], ['sequence'], { axis: { i: 1 } })[0]!;
  // a stretch in sequence-first order ([T, B, C]), as CLIP and batch_first=False attention export it
  const seqFirst = g.addNode('Transpose', [seq], ['seq_first'], { perm: { ints: [1, 0, 2] } })[0]!;
  const scaled = g.addNode('Mul', [seqFirst, g.addInitializer(weights(D, 18, 1), [D], 'sf_scale')], ['seq_first_scaled'])[0]!;
  const back = g.addNode('Transpose', [scaled], ['seq_back'], { perm: { ints: [1, 0, 2] } })[0]!;
  const norm = g.addNode('LayerNormalization', [back, g.addInitializer(weights(D, 13, 1), [D], 'ln_s'), g.addInitializer(weights(D, 14, 0.1), [D], 'ln_b')], ['norm'], { axis: { i: -1 } })[0]!;
  const mixed = g.addNode('MatMul', [norm, g.addInitializer(weights(D * D, 15, 0.5), [D, D], 'mix')], ['mixed'])[0]!;
  const act = g.addNode('Tanh', [mixed], ['act'])[0]!;
  // an identity linear layer written as an Einsum: the graph does not say what its output's axes are
  const eye = Float32Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0));
  const opaque = g.addNode('Einsum', [act, g.addInitializer(eye, [D, D], 'eye')], ['opaque'], { equation: { s: 'btc,cd->btd' } })[0]!;
  // the head: mean of all tokens (every patch token reaches the score)
  const pooled = g.op('ReduceMean', [opaque], { axes: { ints: [1] }, keepdims: { i: 0 } });
  g.addNode('MatMul', [pooled, g.addInitializer(weights(D * 4, 16, 1), [D, 4], 'head')], ['logits']);
  g.setOutputs(['logits']);
  return { model: LumenModel.fromProto(g.model, { runtime, source: 'tokens' }), graph: g };
}

test('token layers: k special tokens before a non-square patch grid are found from the graph; CAMs read the grid', async () => {
  const { model } = tokenModel(2);
  const layers = new Map((await model.layers()).map((l) => [l.name, describeLayout(l.layout, l.shape)]));
  assert.equal(layers.get('patches'), 'NCHW 4×6');
  assert.equal(layers.get('sequence'), 'tokens 2+4×6');
  assert.equal(layers.get('norm'), 'tokens 2+4×6');
  assert.equal(layers.get('act'), 'tokens 2+4×6');
  assert.equal(layers.get('seq_first_scaled'), 'tokens 2+4×6 [T,B,C]');
  const x = new Tensor(weights(3 * 16 * 24, 17, 1), [1, 3, 16, 24]);
  // Grad-CAM on the token layer = Σ_c mean_hw(G_c)·A_c over the grid tokens only, read as [C, 4, 6]
  const r = await getMethod('gradcam').explain(model, x, { layer: 'act', target: 1, raw: true });
  const seed = new Tensor(Float32Array.of(0, 1, 0, 0), [1, 4]);
  const gr = await computeGradients(model, x, seed, { wrt: ['act'], fetch: ['act'] });
  const [A, G] = [gr.tensors.act!, gr.gradients.act!];
  const D = 6;
  const expected = new Float32Array(24);
  for (let c = 0; c < D; c++) {
    let mean = 0;
    for (let p = 0; p < 24; p++) mean += G.data[(2 + p) * D + c]! / 24;
    for (let p = 0; p < 24; p++) expected[p]! += mean * A.data[(2 + p) * D + c]!;
  }
  const raw = r.extras.raw as Tensor;
  assert.deepEqual(raw.dims, [1, 1, 4, 6]);
  assert.ok(relErr(raw, new Tensor(expected, [1, 1, 4, 6])) < 1e-5);
  assert.deepEqual(r.attribution.dims, [1, 1, 16, 24]);
  // the override: the same layer read with an explicit layout gives the same map; a wrong one is a clear error
  const same = await getMethod('gradcam').explain(model, x, { layer: 'act', target: 1, layerLayout: 'tokens:2+4x6' });
  assert.ok(relErr(same.attribution, r.attribution) === 0);
  await assert.rejects(getMethod('gradcam').explain(model, x, { layer: 'act', target: 1, layerLayout: 'tokens:1+4x6' }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /2 \+ 4×6|1 \+ 4×6 = 25 tokens, the layer has 26/.test(e.message));
  await assert.rejects(getMethod('gradcam').explain(model, x, { layer: 'act', target: 1, layerLayout: 'NHWC' }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /NHWC needs a 4-D tensor/.test(e.message));
  // a sequence-first layer reads as the same grid: Grad-CAM on the scaled [T, B, C] layer equals an explicit
  // computation, and the layout can be given as tokens:2+4x6:TBC
  const sf = await getMethod('gradcam').explain(model, x, { layer: 'seq_first_scaled', target: 1, raw: true });
  const sg = await computeGradients(model, x, seed, { wrt: ['seq_first_scaled'], fetch: ['seq_first_scaled'] });
  const [As, Gs] = [sg.tensors.seq_first_scaled!, sg.gradients.seq_first_scaled!];
  const expectedSf = new Float32Array(24);
  for (let c = 0; c < D; c++) {
    let mean = 0;
    for (let p = 0; p < 24; p++) mean += Gs.data[(2 + p) * D + c]! / 24; // [T, 1, C]: token t at t·C
    for (let p = 0; p < 24; p++) expectedSf[p]! += mean * As.data[(2 + p) * D + c]!;
  }
  assert.ok(relErr(sf.extras.raw as Tensor, new Tensor(expectedSf, [1, 1, 4, 6])) < 1e-5);
  const sfGiven = await getMethod('gradcam').explain(model, x, { layer: 'seq_first_scaled', target: 1, layerLayout: 'tokens:2+4x6:TBC' });
  assert.ok(relErr(sfGiven.attribution, sf.attribution) === 0);
  // a layer whose layout the graph leaves open: a clear error, and layerLayout makes it usable
  assert.ok(!layers.has('opaque'));
  await assert.rejects(getMethod('gradcam').explain(model, x, { layer: 'opaque', target: 1 }), (e: unknown) => e instanceof LumenError && /give its layout with layerLayout/.test(e.message));
  const opaque = await getMethod('gradcam').explain(model, x, { layer: 'opaque', target: 1, layerLayout: 'tokens:2+4x6' });
  assert.ok(relErr(opaque.attribution, r.attribution) < 1e-5);
  // every CAM method runs on the token layers (batch-first and sequence-first)
  await loadAllMethods();
  for (const m of listMethods().filter((i) => i.family === 'cam' && i.needsLayer)) {
    if (m.id === 'cam') {
      // the head averages the special tokens too, so it is not "grid → global average → linear"
      await assert.rejects(getMethod('cam').explain(model, x, { layer: 'act', target: 1 }), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_MODEL');
      continue;
    }
    const e = await getMethod(m.id).explain(model, x, { layer: 'act', target: 1 });
    assert.ok(e.attribution.data.every(Number.isFinite) && e.attribution.data.some((v) => v !== 0), m.id);
    // the same values as [T, B, C] and as [B, T, C] (a Transpose apart): the same map
    const [tbc, btc] = [await getMethod(m.id).explain(model, x, { layer: 'seq_first_scaled', target: 1 }), await getMethod(m.id).explain(model, x, { layer: 'seq_back', target: 1 })];
    assert.ok(relErr(tbc.attribution, btc.attribution) <= 1e-5, `${m.id}: [T, B, C] vs [B, T, C] ${relErr(tbc.attribution, btc.attribution)}`);
  }
  await model.dispose();
});

test('layout helpers: toNchw/fromNchw invert each other; the option parser checks shapes', () => {
  const t = new Tensor(Float32Array.from({ length: 2 * 7 * 3 }, (_, i) => i), [2, 7, 3]);
  const layout = parseLayerLayout('tokens:1+2x3', 'x', [1, 7, 3]);
  assert.deepEqual(layout, { kind: 'tokens', prefix: 1, height: 2, width: 3 });
  const map = toNchw(t, layout);
  assert.deepEqual(map.dims, [2, 3, 2, 3]);
  // channel 1 of patch (0, 2) of item 1 is token 1 + 2 of item 1
  assert.equal(map.data[(1 * 3 + 1) * 6 + 2], t.data[(1 * 7 + 3) * 3 + 1]);
  assert.deepEqual(Array.from(fromNchw(map, layout, t).data), Array.from(t.data));
  const sfLayout = parseLayerLayout('tokens:1+2x3:TBC', 'x', [7, 1, 3]);
  assert.deepEqual(sfLayout, { kind: 'tokens', prefix: 1, height: 2, width: 3, sequenceFirst: true });
  const sf = new Tensor(Float32Array.from({ length: 7 * 2 * 3 }, (_, i) => i), [7, 2, 3]);
  const sfMap = toNchw(sf, sfLayout);
  assert.deepEqual(sfMap.dims, [2, 3, 2, 3]);
  // channel 2 of patch 4 of item 1 is token 1 + 4 of item 1: ((1 + 4)·2 + 1)·3 + 2
  assert.equal(sfMap.data[(1 * 3 + 2) * 6 + 4], sf.data[((1 + 4) * 2 + 1) * 3 + 2]);
  assert.deepEqual(Array.from(fromNchw(sfMap, sfLayout, sf).data), Array.from(sf.data));
  const nhwc = new Tensor(Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i), [2, 3, 4, 5]);
  assert.deepEqual(Array.from(fromNchw(toNchw(nhwc, { kind: 'NHWC' }), { kind: 'NHWC' }, nhwc).data), Array.from(nhwc.data));
  assert.deepEqual(parseLayerLayout('tokens', 'x', [1, 65, 32]), { kind: 'tokens', prefix: 1, height: 8, width: 8 });
  assert.deepEqual(parseLayerLayout('tokens:0', 'x', [1, 64, 32]), { kind: 'tokens', prefix: 0, height: 8, width: 8 });
  assert.throws(() => parseLayerLayout('tokens:1', 'x', [1, 64, 32]), /not a square grid/);
  assert.throws(() => parseLayerLayout('NCWH', 'x', [1, 8, 8, 8]), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /unknown layout/.test(e.message));
});

test('conformance transformers: ViT token layers are tokens 1+8×8, Swin features NHWC 8×8; defaults are the last block norm1', async () => {
  const vit = await loadModel('conformance/models/tiny_vit.onnx');
  const vitLayers = await vit.layers();
  const ln1 = '/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0';
  const describe = (ls: typeof vitLayers, name: string): string | undefined => {
    const l = ls.find((x) => x.name === name);
    return l && describeLayout(l.layout, l.shape);
  };
  assert.equal(describe(vitLayers, ln1), 'tokens 1+8×8');
  assert.equal(describe(vitLayers, '/Transpose_output_0'), 'tokens 8×8');
  assert.equal(describe(vitLayers, '/conv_proj/Conv_output_0'), 'NCHW 8×8');
  assert.equal(vitLayers.find((l) => l.isDefault)?.name, ln1);
  await vit.dispose();
  const swin = await loadModel('conformance/models/tiny_swin.onnx');
  const swinLayers = await swin.layers();
  const norm1 = '/features/features.3/features.3.1/norm1/LayerNormalization_output_0';
  assert.equal(describe(swinLayers, norm1), 'NHWC 8×8');
  assert.equal(describe(swinLayers, '/permute/Transpose_output_0'), 'NCHW 8×8');
  assert.equal(swinLayers.find((l) => l.isDefault)?.name, norm1);
  // window-attention internals ([windows, heads, tokens, tokens]) are not per-image layers
  assert.ok(swinLayers.every((l) => l.shape[0] === 1));
  await swin.dispose();
});

test("ConvNeXt (torchvision, permuted blocks): block LayerNorms are NHWC; the default layer is the last stage's output, not the pooled head's LayerNorm2d", async () => {
  const model = await loadModel('test/fixtures/transformers/convnext/model.onnx');
  const layers = await model.layers();
  const norms = layers.filter((l) => l.op === 'LayerNormalization' && l.name.includes('/block/'));
  assert.ok(norms.length >= 2 && norms.every((l) => l.layout.kind === 'NHWC' && l.layoutDetected), norms.map((l) => describeLayout(l.layout, l.shape)).join());
  const def = layers.find((l) => l.isDefault)!;
  assert.equal(def.name, '/features/features.3/features.3.0/Add_output_0');
  assert.equal(describeLayout(def.layout, def.shape), 'NCHW 4×4');
  await model.dispose();
});
