// Every supported Keras layer, in small models built with TF.js: each layer's output, the logits and Saliency
// against TF.js itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { LAYER_CLASSES } from '../../src/import/index.js';
import { LumenError } from '../../src/errors.js';
import type { LumenModel } from '../../src/model.js';
import { tf, tfl, artifactsOf, artifactsOfModel, writeArtifacts, randomNhwc, toLumen, nhwcToNchw, compareToTf, relErr } from './tfjs-oracle.js';

await loadAllMethods();
const tmp = mkdtempSync(join(tmpdir(), 'lumen-tfjs-layers-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Give every weight deterministic non-trivial values (BN statistics positive where they must be). */
function randomizeWeights(model: tfl.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (!ws.length) continue;
    layer.setWeights(ws.map((w, i) => {
      const name = layer.weights[i]!.name;
      const r = tf.reshape(randomNhwc([1, 1, 1, w.size], s++, -0.5, 0.5), w.shape);
      if (name.includes('moving_variance')) return tf.add(tf.abs(r), 0.5);
      if (name.includes('gamma')) return tf.add(r, 1);
      return r;
    }));
  }
}

/** Every layer's output, the logits and Saliency of one class, Lumen vs TF.js. */
async function checkModel(tfModel: tfl.LayersModel, dir: string, quantize: 'uint8' | 'float16' | undefined, seed: number, saliency = true): Promise<{ model: LumenModel; classes: Set<string> }> {
  const path = writeArtifacts(join(tmp, dir), await artifactsOfModel(tfModel), quantize);
  // TF.js reads the same (quantized) files back: the oracle sees the dequantized weights Lumen sees
  const ref = await tfl.loadLayersModel(tf.io.fromMemory(artifactsOf(path)));
  const model = await loadModel(path);
  const shape = ref.inputs[0]!.shape.map((d) => d ?? 2);
  const x = randomNhwc(shape, seed, -1, 1);
  const input = toLumen(x);
  // each top-level layer's output (a nested model has several call sites in TF.js: compared through the output)
  const names = ref.layers.filter((l) => !['InputLayer', 'Sequential', 'Model', 'Functional'].includes(l.getClassName())).map((l) => l.name);
  const tfOuts = names.length ? ([tfl.model({ inputs: ref.inputs, outputs: names.map((n) => ref.getLayer(n).output as tfl.SymbolicTensor) }).predict(x)].flat() as tf.Tensor[]) : [];
  const fetch = names.filter((n) => model.graph.producer(n));
  const { tensors } = await model.forward(input, fetch);
  for (const [i, n] of names.entries()) {
    if (!tensors[n]) continue;
    const e = compareToTf(tensors[n]!, tfOuts[i]!);
    assert.ok(e <= 1e-5, `${dir}: layer '${n}' (${ref.getLayer(n).getClassName()}) differs by ${e}`);
  }
  const out = (await model.forward(input, [model.outputName])).tensors[model.outputName]!;
  assert.ok(compareToTf(out, ref.predict(x) as tf.Tensor) <= 1e-5, `${dir}: output`);
  if (!saliency) return { model, classes: new Set(ref.layers.map((l) => l.getClassName())) };
  const last = ref.layers[ref.layers.length - 1]!;
  const softmaxLast = last.getClassName() === 'Activation' && (last.getConfig().activation === 'softmax');
  const logitsOf = (xx: tf.Tensor): tf.Tensor => (softmaxLast ? tfl.model({ inputs: ref.inputs, outputs: ref.layers[ref.layers.length - 2]!.output as tfl.SymbolicTensor }).apply(xx) : ref.apply(xx)) as tf.Tensor;
  if (softmaxLast) assert.equal(model.logitsName, ref.layers[ref.layers.length - 2]!.name);
  // Saliency on the first image: TF.js's nearest-resize gradient mixes up the images of a batch (its second image's
  // gradient through UpSampling2D comes out permuted, though the model is linear there), so one image at a time
  const x1 = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]);
  const sal = await getMethod('saliency').explain(model, toLumen(x1), { target: 1, abs: false });
  const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(logitsOf(xx), [0, 1], [1, 1])))(x1);
  const eSal = relErr(sal.attribution.data, nhwcToNchw(g));
  assert.ok(eSal <= 1e-4, `${dir}: saliency ${eSal}`);
  return { model, classes: new Set(ref.layers.map((l) => l.getClassName())) };
}

const covered = new Set<string>();

test('functional model: padding, convolutions, batch norm, activations, merges, pools, upsampling, dense (float32)', async () => {
  const inp = tfl.input({ shape: [16, 16, 3] });
  const r = tfl.layers.rescaling({ scale: 0.5, offset: 0.1 }).apply(inp) as tfl.SymbolicTensor;
  const p = tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]] }).apply(r) as tfl.SymbolicTensor;
  const c = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }).apply(p) as tfl.SymbolicTensor;
  const bn = tfl.layers.batchNormalization().apply(c) as tfl.SymbolicTensor;
  const r6 = tfl.layers.reLU({ maxValue: 6 }).apply(bn) as tfl.SymbolicTensor;
  const dw = tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: true }).apply(r6) as tfl.SymbolicTensor;
  const sep = tfl.layers.separableConv2d({ filters: 12, kernelSize: 3, padding: 'same', strides: 1 }).apply(dw) as tfl.SymbolicTensor;

  const lk = tfl.layers.leakyReLU({ alpha: 0.1 }).apply(sep) as tfl.SymbolicTensor;
  const pr = tfl.layers.prelu({ sharedAxes: [1, 2] }).apply(lk) as tfl.SymbolicTensor;
  const add = tfl.layers.add().apply([pr, dw]) as tfl.SymbolicTensor;
  const mul = tfl.layers.multiply().apply([add, dw]) as tfl.SymbolicTensor;
  const sg = tfl.layers.activation({ activation: 'sigmoid' }).apply(add) as tfl.SymbolicTensor;
  const cat = tfl.layers.concatenate().apply([mul, sg]) as tfl.SymbolicTensor;
  const up = tfl.layers.upSampling2d({ size: [2, 2] }).apply(cat) as tfl.SymbolicTensor;
  const mp = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(up) as tfl.SymbolicTensor;
  const ap = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'valid' }).apply(up) as tfl.SymbolicTensor;
  const add2 = tfl.layers.add().apply([mp, ap]) as tfl.SymbolicTensor;
  const gap = tfl.layers.globalAveragePooling2d({}).apply(add2) as tfl.SymbolicTensor;
  const gmp = tfl.layers.globalMaxPooling2d({}).apply(add2) as tfl.SymbolicTensor;
  const cat2 = tfl.layers.concatenate().apply([gap, gmp]) as tfl.SymbolicTensor;
  const d1 = tfl.layers.dense({ units: 10, activation: 'relu' }).apply(cat2) as tfl.SymbolicTensor;
  const dr = tfl.layers.dropout({ rate: 0.5 }).apply(d1) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 5 }).apply(dr) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: inp, outputs: logits });
  randomizeWeights(m, 10);
  const { model, classes } = await checkModel(m, 'functional', undefined, 11);
  classes.forEach((c2) => covered.add(c2));
  assert.equal(model.layout, 'NCHW');
  assert.deepEqual(model.inputDims.slice(1), [3, 16, 16]);
  await model.dispose();
});

test('sequential model with uint8-quantized weights: tanh/elu/selu/softplus/swish/relu6/hard sigmoid, bilinear upsampling, Reshape, Permute, Flatten, softmax', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [12, 12, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', dilationRate: 1 }));
  m.add(tfl.layers.activation({ activation: 'elu' }));
  m.add(tfl.layers.conv2d({ filters: 4, kernelSize: 2, padding: 'same', strides: 2, activation: 'selu' }));
  m.add(tfl.layers.activation({ activation: 'softplus' }));
  m.add(tfl.layers.activation({ activation: 'swish' }));
  m.add(tfl.layers.activation({ activation: 'relu6' }));
  m.add(tfl.layers.activation({ activation: 'hardSigmoid' }));
  m.add(tfl.layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear' }));
  m.add(tfl.layers.conv2d({ filters: 3, kernelSize: 5, padding: 'valid' }));
  m.add(tfl.layers.reshape({ targetShape: [14, 8, 3] }));
  m.add(tfl.layers.permute({ dims: [2, 1, 3] }));
  m.add(tfl.layers.maxPooling2d({ poolSize: [3, 2], strides: [2, 2], padding: 'valid' }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 4 }));
  m.add(tfl.layers.activation({ activation: 'softmax' }));
  randomizeWeights(m, 20);
  // ends in softmax: Lumen explains the logit before it (checkModel differentiates TF.js's Dense output)
  const { model, classes } = await checkModel(m, 'sequential', 'uint8', 21);
  classes.forEach((c2) => covered.add(c2));
  await model.dispose();
});

test("AveragePooling2D 'same': Lumen's Saliency equals central differences; TF.js's own gradient does not (its AvgPoolGrad divides border windows by k·k)", async () => {
  const inp = tfl.input({ shape: [7, 7, 2] });
  const ap = tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(inp) as tfl.SymbolicTensor;
  const fl = tfl.layers.flatten().apply(ap) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: inp, outputs: tfl.layers.dense({ units: 3 }).apply(fl) as tfl.SymbolicTensor });
  randomizeWeights(m, 30);
  const path = writeArtifacts(join(tmp, 'avgpool-same'), await artifactsOfModel(m));
  const model = await loadModel(path);
  const x = randomNhwc([1, 7, 7, 2], 31);
  const input = toLumen(x);
  assert.ok(compareToTf((await model.forward(input)).logits, m.predict(x) as tf.Tensor) <= 1e-6);
  const sal = await getMethod('saliency').explain(model, input, { target: 2, abs: false });
  // the model is linear: central differences are exact up to float32 rounding
  const h = 0.5;
  const fd = new Float32Array(input.size);
  for (let i = 0; i < input.size; i++) {
    const plus = toLumen(x);
    const minus = toLumen(x);
    plus.data[i] += h;
    minus.data[i] -= h;
    fd[i] = ((await model.forward(plus)).logits.data[2]! - (await model.forward(minus)).logits.data[2]!) / (2 * h);
  }
  const eLumen = relErr(sal.attribution.data, fd);
  const tfGrad = nhwcToNchw(tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(m.apply(xx) as tf.Tensor, [0, 2], [1, 1])))(x));
  const eTf = relErr(tfGrad, fd);
  assert.ok(eLumen <= 1e-4, `Lumen vs central differences: ${eLumen}`);
  assert.ok(eTf > 1e-2, `TF.js vs central differences: ${eTf} (if TF.js fixed its AvgPoolGrad, compare against it here)`);
  await model.dispose();
});

test('Normalization (adapted mean/variance, which TF.js cannot build) equals (x − mean)/√variance', async () => {
  const mean = [0.2, -0.1, 0.4];
  const variance = [0.25, 4, 0.01];
  const layers = [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 5, 3] } },
    { class_name: 'Normalization', config: { name: 'norm', axis: -1, mean, variance } },
    { class_name: 'GlobalAveragePooling2D', config: { name: 'gap' } },
  ];
  const json = { format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [{ paths: [], weights: [] }] };
  const dir = join(tmp, 'normalization');
  await import('node:fs').then((fs) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  });
  const model = await loadModel(join(dir, 'model.json'));
  const x = randomNhwc([1, 4, 5, 3], 40, -1, 1);
  const want = tf.mean(tf.div(tf.sub(x, tf.tensor1d(mean)), tf.sqrt(tf.tensor1d(variance))), [1, 2]);
  assert.ok(compareToTf((await model.forward(toLumen(x))).logits, want) <= 1e-6);
  covered.add('Normalization');
  await model.dispose();
});

test('dilated Conv2D and float16 weights (forward, layer by layer: TF.js has no gradient for dilated convolutions)', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [13, 11, 3], filters: 5, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu' }));
  // (no dilated DepthwiseConv2D: TF.js's layer ignores its dilation_rate, Keras does not; Lumen follows Keras)
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: [3, 2], padding: 'valid', depthMultiplier: 2 }));
  m.add(tfl.layers.globalAveragePooling2d({}));
  randomizeWeights(m, 50);
  const { model } = await checkModel(m, 'dilated', 'float16', 51, false);
  await model.dispose();
});

test('nested models (Teachable Machine layout: a functional base inside a Sequential with a Dense head)', async () => {
  const inp = tfl.input({ shape: [10, 9, 3] });
  const conv = tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu' }).apply(inp) as tfl.SymbolicTensor;
  const base = tfl.model({ inputs: inp, outputs: tfl.layers.globalAveragePooling2d({}).apply(conv) as tfl.SymbolicTensor });
  const head = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [5], units: 4 })] });
  const m = tfl.sequential({ layers: [base, head] });
  randomizeWeights(m, 60);
  randomizeWeights(base, 61);
  randomizeWeights(head, 62);
  const { model, classes } = await checkModel(m, 'nested', undefined, 63);
  assert.ok(classes.has('Sequential') || classes.has('Model') || classes.has('Functional'));
  await model.dispose();
});

test('an unsupported layer class is named with its layer', async () => {
  const layers = [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 5, 3] } },
    { class_name: 'ConvLSTM2D', config: { name: 'recurrent_1' } },
  ];
  const dir = join(tmp, 'unsupported');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [] }));
  await assert.rejects(loadModel(join(dir, 'model.json')), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_OP' && /'ConvLSTM2D' \(layer 'recurrent_1'\)/.test(e.message));
});

test('every supported layer class is covered by the models above', () => {
  const missing = LAYER_CLASSES.filter((c) => !covered.has(c) && !['Model', 'Functional', 'Sequential', 'Subtract', 'Average', 'Maximum', 'Minimum', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'Softmax'].includes(c));
  assert.deepEqual(missing, []);
});
