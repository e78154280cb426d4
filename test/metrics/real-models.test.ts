import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import '../../src/metrics/index.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { Random } from '../../src/random.js';
import '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { Tensor } from '../../src/tensor.js';
import { explanation } from './helpers.js';

const ROOT = new URL('../../', import.meta.url).pathname;

const METHODS = ['gradcam', 'occlusion'];

// fashion_cnn is trained (test accuracy 0.90): a real explanation must beat a random map on the insertion and
// ROAD protocols. (Deletion with a zero baseline does not separate them on Fashion-MNIST: turning the black
// background grey destroys the prediction whatever the order — see docs/metrics.md.)
test('Grad-CAM and Occlusion beat a random map on insertion and ROAD (fashion_cnn, Ankle boot)', async () => {
  const model = await loadModel(`${ROOT}conformance/models/fashion_cnn.onnx`);
  const { npyToTensor } = await import('../../src/io/npy.js');
  const x = npyToTensor(new Uint8Array(readFileSync(`${ROOT}conformance/inputs/fmnist_test0000.npy`)));
  const random = new Random(1);
  const noise = new Tensor(Float32Array.from({ length: 28 * 28 }, () => random.next()), [1, 1, 28, 28]);
  const metrics = ['insertion', 'road'];
  const base = await evaluate(model, x, { explanation: explanation(noise, [9]), metrics });
  for (const method of METHODS) {
    const ev = await evaluate(model, x, { method, metrics, target: 9 });
    for (const [i, r] of ev.results.entries()) {
      assert.ok(r.value > base.results[i]!.value + 0.05, `${method} ${r.metric} ${r.value} vs random ${base.results[i]!.value}`);
    }
  }
  await model.dispose();
});
