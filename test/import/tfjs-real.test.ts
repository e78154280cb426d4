// Real TF.js models from npm packages (copied into test/fixtures/tfjs, see its README) against TensorFlow.js itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/node/load.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { Tensor } from '../../src/tensor.js';
import { tf, tfl, loadTfGraphModel, loadTfLayersModel, randomNhwc, toLumen, nhwcToNchw, relErr } from './tfjs-oracle.js';

await loadAllMethods();

const FIX = new URL('../fixtures/tfjs/', import.meta.url).pathname;

test('human emotion (graph model, float32): logits, Saliency and Grad-CAM equal TensorFlow.js', async () => {
  const path = `${FIX}human-emotion/model.json`;
  const [model, gm] = await Promise.all([loadModel(path), loadTfGraphModel(path)]);
  const x = randomNhwc([2, 64, 64, 1], 1);
  const input = toLumen(x);
  const logitsNode = 'StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean';
  const outNode = 'Identity';
  // probabilities (the model's output) and logits (the Softmax's input)
  const { logits, tensors } = await model.forward(input, [model.outputName]);
  const [tfLogits, tfProbs] = gm.execute(x, [logitsNode, outNode]) as tf.Tensor[];
  assert.equal(model.logitsName, logitsNode);
  const eLogits = relErr(logits.data, tfLogits!.dataSync());
  const eProbs = relErr(tensors[model.outputName]!.data, tfProbs!.dataSync());
  assert.ok(eLogits <= 1e-4 && eProbs <= 1e-4, `logits ${eLogits}, probabilities ${eProbs}`);
  const top = (await model.predict(input, 1)).map((r) => r[0]!.index);
  assert.deepEqual(top, Array.from(tf.argMax(tfProbs!, 1).dataSync()));

  // Saliency = |∂ logit_k / ∂ x|, per image, against tf.grad
  const k = [3, 5];
  const sal = await getMethod('saliency').explain(model, input, { target: k });
  const onehot = tf.oneHot(tf.tensor1d(k, 'int32'), 7);
  const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(gm.execute(xx, logitsNode) as tf.Tensor, onehot)))(x);
  const eSal = relErr(sal.attribution.data, nhwcToNchw(tf.abs(g)));
  assert.ok(eSal <= 1e-3, `saliency ${eSal}`);

  // Grad-CAM at the last convolution: weights = spatial mean of ∂logit/∂A, map = Σ_c w_c A_c (pre-ReLU)
  const layer = 'StatefulPartitionedCall/model_1/conv2d_5/BiasAdd';
  const cam = await getMethod('gradcam').explain(model, input, { target: k, layer, raw: true });
  const A = gm.execute(x, layer) as tf.Tensor4D;
  const dA = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gm.execute({ input_1: x, [layer]: a }, logitsNode) as tf.Tensor, onehot)))(A);
  const w = tf.mean(dA, [1, 2], true);
  const tfCam = tf.sum(tf.mul(w, A), 3);
  const raw = cam.extras.raw as Tensor;
  assert.deepEqual(raw.dims, [2, 1, ...A.shape.slice(1, 3)]);
  const eCam = relErr(raw.data, tfCam.dataSync());
  assert.ok(eCam <= 1e-4, `grad-cam ${eCam}`);
  await model.dispose();
});

test('human antispoof (graph model, float16 weights; Reshape, _FusedMatMul, Sigmoid): output and Saliency equal TensorFlow.js', async () => {
  const path = `${FIX}human-antispoof/model.json`;
  const [model, gm] = await Promise.all([loadModel(path), loadTfGraphModel(path)]);
  const x = randomNhwc([2, 128, 128, 3], 2);
  const input = toLumen(x);
  // the sigmoid's output and its input (the logit; sigmoid rounding alone could hide a difference)
  const pre = 'StatefulPartitionedCall/sequential/dense_1/BiasAdd';
  const { logits, tensors } = await model.forward(input, [pre]);
  const [tfOut, tfPre] = gm.execute(x, ['Identity', pre]) as tf.Tensor[];
  const e = relErr(logits.data, tfOut!.dataSync());
  const ePre = relErr(tensors[pre]!.data, tfPre!.dataSync());
  assert.ok(e <= 1e-4 && ePre <= 1e-4, `output ${e}, logit ${ePre}`);
  assert.ok(Math.min(...tfOut!.dataSync()) < 0.99, 'the output is not saturated');
  const sal = await getMethod('saliency').explain(model, input, { target: 0, abs: false });
  const g = tf.grad((xx: tf.Tensor) => tf.sum(gm.execute(xx) as tf.Tensor))(x);
  const eSal = relErr(sal.attribution.data, nhwcToNchw(g));
  assert.ok(eSal <= 1e-3, `saliency ${eSal}`);
  await model.dispose();
});

test('nsfwjs MobileNetV2 (layers model, uint8-quantized): probabilities, logits, Saliency and Grad-CAM equal TensorFlow.js', async () => {
  const path = `${FIX}nsfwjs-mobilenet_v2/model.json`;
  const [model, lm] = await Promise.all([loadModel(path), loadTfLayersModel(path)]);
  const x = randomNhwc([1, 224, 224, 3], 3);
  const input = toLumen(x);
  const { logits, tensors } = await model.forward(input, [model.outputName]);
  const tfProbs = lm.predict(x) as tf.Tensor;
  const eProbs = relErr(tensors[model.outputName]!.data, tfProbs.dataSync());
  // logits in TF.js: the last Dense without its softmax, applied to the layer before it
  const last = lm.getLayer('dense_3');
  const [kernel, bias] = last.getWeights();
  const upTo = (name: string, xx: tf.Tensor): tf.Tensor => tfl.model({ inputs: lm.inputs, outputs: lm.getLayer(name).output as tfl.SymbolicTensor }).apply(xx) as tf.Tensor;
  const tfLogits = (xx: tf.Tensor): tf.Tensor => tf.add(tf.matMul(upTo('dropout_3', xx) as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
  const eLogits = relErr(logits.data, tfLogits(x).dataSync());
  assert.ok(eProbs <= 1e-4 && eLogits <= 1e-4, `probabilities ${eProbs}, logits ${eLogits}`);

  const k = 2;
  const sal = await getMethod('saliency').explain(model, input, { target: k });
  const g = tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(tfLogits(xx), [0, k], [1, 1])))(x);
  const eSal = relErr(sal.attribution.data, nhwcToNchw(tf.abs(g)));
  // Measured 3.5e-3 (the 1000th largest difference is 4e-4), above the 1e-3 the other models meet: one ReLU6 gate
  // input of 6.1 million (block_15_depthwise_BN, 3e-8 here, −1e-7 in TF.js) falls on the other side of zero, and the
  // difference sits in that gate's corner of the image (docs/import.md). Computing BN in TF.js's order made it 1.0e-2
  // (two flipped gates); onnxruntime-web and -node differ by 6.6e-4 here. Bound: 5e-3.
  assert.ok(eSal <= 5e-3, `saliency ${eSal}`);

  // The mechanism, checked: on this input one of the 6.1 million ReLU6 gate inputs (the BatchNormalization
  // outputs that feed a ReLU) is open in one engine and shut in the other. On an input where every gate agrees, the
  // Saliency meets the 1e-3 (measured 6e-7; over seeds 1…6 it was 6e-4, 6e-7, 3.5e-3, 4e-7, 1.2e-2, 7.8e-3).
  const gateInputs = lm.layers.filter((l, i) => l.getClassName() === 'BatchNormalization' && lm.layers[i + 1]?.getClassName() === 'ReLU').map((l) => l.name);
  const gates = tfl.model({ inputs: lm.inputs, outputs: gateInputs.map((n) => lm.getLayer(n).output as tfl.SymbolicTensor) });
  const flippedGates = async (xx: tf.Tensor4D): Promise<number> => {
    const theirs = gates.predict(xx) as tf.Tensor[];
    const ours = (await model.forward(toLumen(xx), gateInputs)).tensors;
    let flips = 0;
    gateInputs.forEach((n, j) => {
      const a = ours[n]!.data;
      const b = nhwcToNchw(theirs[j]!);
      for (let i = 0; i < a.length; i++) if ((a[i]! > 0 && a[i]! < 6) !== (b[i]! > 0 && b[i]! < 6)) flips++;
    });
    tf.dispose(theirs);
    return flips;
  };
  assert.equal(gateInputs.length, 35);
  // 1 here; another CPU's kernels may round that gate (3e-8 vs −1e-7) the same way, and then the 1e-3 bound applies
  const flips1 = await flippedGates(x);
  assert.ok(flips1 <= 1 && eSal <= (flips1 === 0 ? 1e-3 : 5e-3), `first input: ${flips1} gates differ, saliency ${eSal}`);
  const x2 = randomNhwc([1, 224, 224, 3], 2);
  assert.equal(await flippedGates(x2), 0, 'gates that differ on the second input');
  const sal2 = await getMethod('saliency').explain(model, toLumen(x2), { target: k });
  const g2 = tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(tfLogits(xx), [0, k], [1, 1])))(x2);
  const eSal2 = relErr(sal2.attribution.data, nhwcToNchw(tf.abs(g2)));
  assert.ok(eSal2 <= 1e-3, `saliency on an input with the same gates ${eSal2}`);

  // Grad-CAM at out_relu: activations from a TF.js sub-model, gradients through the layers after it
  const layer = 'out_relu';
  const cam = await getMethod('gradcam').explain(model, input, { target: k, layer, raw: true });
  const A = upTo(layer, x);
  const tail = lm.layers.slice(lm.layers.findIndex((l) => l.name === layer) + 1);
  const head = (a: tf.Tensor): tf.Tensor => {
    let h = a;
    for (const l of tail) {
      if (l.name === 'dense_3') return tf.add(tf.matMul(h as tf.Tensor2D, kernel as tf.Tensor2D), bias!);
      h = l.apply(h) as tf.Tensor;
    }
    return h;
  };
  const dA = tf.grad((a: tf.Tensor) => tf.sum(tf.slice(head(a), [0, k], [1, 1])))(A);
  const tfCam = tf.sum(tf.mul(tf.mean(dA, [1, 2], true), A), 3);
  const eCam = relErr((cam.extras.raw as Tensor).data, tfCam.dataSync());
  assert.ok(eCam <= 1e-4, `grad-cam ${eCam}`);
  await model.dispose();
});
