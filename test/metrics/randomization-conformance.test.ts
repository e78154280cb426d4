import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import '../../src/metrics/index.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { detailsOf } from '../../src/metrics/types.js';
import '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { npyToTensor } from '../../src/io/npy.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Cascading randomization on fashion_cnn, fmnist_test0000 (Ankle boot, class 9): per-layer Spearman curve. */
async function cascade(method: string): Promise<{ mean: number; curve: number[] }> {
  const model = await loadModel(`${ROOT}conformance/models/fashion_cnn.onnx`);
  const x = npyToTensor(new Uint8Array(readFileSync(`${ROOT}conformance/inputs/fmnist_test0000.npy`)));
  const { results } = await evaluate(model, x, { method, metrics: ['randomization'], target: 9, seed: 0 });
  await model.dispose();
  return { mean: results[0]!.value, curve: detailsOf(results[0]!, 'randomization')[0]!.spearman };
}

// Adebayo et al. 2018, Fig. 2/4: under cascading randomization Gradient and Grad-CAM maps lose their rank
// correlation with the original map, Guided Backprop's stays high (it mostly reflects the input).
test('cascading randomization decorrelates Grad-CAM (fashion_cnn)', async () => {
  const { mean, curve } = await cascade('gradcam');
  assert.ok(curve.length >= 3, 'fashion_cnn has several Conv/Gemm layers');
  assert.ok(Math.abs(curve[curve.length - 1]!) < 0.5, `gradcam after full randomization: ${curve.join(', ')}`);
  assert.ok(mean < 0.3, `gradcam mean Spearman ${mean}`);
});

test('cascading randomization decorrelates Saliency much more than Guided Backprop (fashion_cnn)', async () => {
  const saliency = await cascade('saliency');
  const guided = await cascade('guided-backprop');
  assert.ok(Math.abs(saliency.curve[saliency.curve.length - 1]!) < 0.5, `saliency after full randomization: ${saliency.curve.join(', ')}`);
  assert.ok(guided.mean > saliency.mean + 0.2, `guided backprop ${guided.mean} (${guided.curve.join(', ')}) vs saliency ${saliency.mean}`);
});

test('independent randomization: the top layer step equals the cascading one, lower layers differ (Grad-CAM)', async () => {
  const model = await loadModel(`${ROOT}conformance/models/fashion_cnn.onnx`);
  const x = npyToTensor(new Uint8Array(readFileSync(`${ROOT}conformance/inputs/fmnist_test0000.npy`)));
  const run = async (mode: string) => {
    const { results } = await evaluate(model, x, { method: 'gradcam', metrics: ['randomization'], target: 9, metricOptions: { randomization: { mode, maxLayers: 3 } } });
    return detailsOf(results[0]!, 'randomization')[0]!;
  };
  const [cascading, independent] = [await run('cascading'), await run('independent')];
  await model.dispose();
  assert.deepEqual(independent.layers, cascading.layers);
  assert.equal(independent.layers.length, 3);
  assert.equal(independent.spearman[0], cascading.spearman[0]);
  assert.notEqual(independent.spearman[2], cascading.spearman[2]);
});
