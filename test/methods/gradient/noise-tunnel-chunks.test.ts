import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../../src/node/load.js';
import { getMethod } from '../../../src/methods/registry.js';
import { noiseTunnel } from '../../../src/methods/gradient/noise-tunnel.js';
import type { Method } from '../../../src/methods/types.js';
import { Random } from '../../../src/random.js';
import { Tensor } from '../../../src/tensor.js';
import '../../../src/methods/gradient/index.js';
import { readNpy, relErr } from '../../autodiff/helpers.js';

/** Two different images (an F-MNIST test image and its negative) as one batch. */
function twoImages(): Tensor {
  const x = readNpy('conformance/inputs/fmnist_test0002.npy');
  return new Tensor(Float32Array.from([...x.data, ...x.data.map((v) => 1 - v)]), [2, ...x.dims.slice(1)]);
}

/** `base` with every call's batch size recorded. */
function recording(base: Method, sizes: number[]): Method {
  return { info: base.info, explain: (m, x, o) => (sizes.push(x.dims[0]!), base.explain(m, x, o)) };
}

test('noise tunnel: samples go to the base method in chunks of at most batchSize rows; the result does not depend on the chunk size', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = twoImages();
  const saliency = getMethod('saliency');
  for (const type of ['smoothgrad', 'squaregrad', 'vargrad'] as const) {
    const opts = { samples: 7, stdev: 0.2, seed: 3 };
    const chunked: number[] = [];
    const whole: number[] = [];
    // 3 does not divide 7: chunks split an image's samples and straddle the two images
    const a = await noiseTunnel(recording(saliency, chunked), model, x, { ...opts, batchSize: 3 }, type);
    const b = await noiseTunnel(recording(saliency, whole), model, x, { ...opts, batchSize: 14 }, type);
    assert.deepEqual(chunked, [3, 3, 3, 3, 2], `${type}: 14 rows in chunks of ≤ 3`);
    assert.deepEqual(whole, [14], `${type}: one chunk`);
    assert.ok(relErr(a.attribution.data, b.attribution.data) <= 1e-7, `${type}: chunked equals one chunk (${relErr(a.attribution.data, b.attribution.data)})`);
    assert.ok(Math.max(...b.attribution.data.map(Math.abs)) > 0, `${type}: a non-trivial map`);
  }
  // the registered method passes batchSize through the same path: samples 100 with batchSize 8 never holds more than 8 copies
  const sizes: number[] = [];
  const progress: number[] = [];
  await noiseTunnel(recording(saliency, sizes), model, x, { samples: 100, batchSize: 8, onProgress: (p) => progress.push(p.done) }, 'smoothgrad');
  assert.equal(Math.max(...sizes), 8);
  assert.equal(sizes.reduce((s, v) => s + v, 0), 200);
  assert.equal(progress.at(-1), 200);
  // a direct call's options are checked once, in explain's words, before any base-method call (were parsed unchecked)
  const none: number[] = [];
  await assert.rejects(noiseTunnel(recording(saliency, none), model, x, { samples: 0 }, 'smoothgrad'), { message: 'noise-tunnel: samples must be within [1, 100000], got 0' });
  await assert.rejects(noiseTunnel(recording(saliency, none), model, x, { stdev: -0.1 }, 'smoothgrad'), { message: 'noise-tunnel: stdev must be within [0, ∞], got -0.1' });
  assert.deepEqual(none, []);
  await model.dispose();
});

test('noise tunnel: the seeded noise is drawn image by image, sample by sample, pixel by pixel, whatever the chunk size', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = twoImages();
  // a base whose attribution is its input: smoothgrad is then the mean of the noisy copies, computable here
  const identity: Method = { info: getMethod('saliency').info, explain: async (_m, xs) => ({ method: 'identity', attribution: xs, targets: [], extras: {}, timings: { compileMs: 0, runMs: 0 } }) };
  const samples = 5;
  const stdev = 0.3;
  const per = x.size / 2;
  const random = new Random(9, 'xor');
  const sum = new Float64Array(x.size);
  for (let i = 0; i < 2; i++) for (let s = 0; s < samples; s++) for (let p = 0; p < per; p++) sum[i * per + p] += Math.fround(x.data[i * per + p]! + stdev * random.normal());
  const expected = Float32Array.from(sum, (v) => v / samples);
  for (const batchSize of [1, 2, 4, 10]) {
    const e = await noiseTunnel(identity, model, x, { samples, stdev, seed: 9, batchSize }, 'smoothgrad');
    assert.deepEqual(Array.from(e.attribution.data), Array.from(expected), `batchSize ${batchSize}`);
  }
  await model.dispose();
});
