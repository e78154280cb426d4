import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deeplift } from '../../../src/methods/gradient/deeplift.js';
import { deepliftShap, deepliftShapInfo, sampleBaselines, type DeepLiftShapOptions } from '../../../src/methods/gradient/deeplift-shap.js';
import { checkedOptionValues } from '../../../src/methods/validate.js';
import { Tensor } from '../../../src/tensor.js';
import { conformanceModel, readNpy, referencesOf, relErr, sum, uniform, rng } from './helpers.js';

const fashionRef = referencesOf('DeepLift').find((r) => r.model === 'fashion_cnn')!;

test('deeplift-shap equals the mean of single-reference deeplift runs (given references)', async () => {
  const model = await conformanceModel('fashion_cnn');
  const x = readNpy(fashionRef.input_file);
  const r = rng(1);
  const references = new Tensor(Float32Array.from({ length: 3 * 784 }, () => r() * 2 - 1), [3, 1, 28, 28]);
  const shap = await deepliftShap.explain(model, x, { target: fashionRef.target, baselines: references });
  const singles = await Promise.all([0, 1, 2].map((i) => deeplift.explain(model, x, { target: fashionRef.target, baseline: references.item(i) })));
  const mean = Float32Array.from({ length: 784 }, (_, p) => (singles[0]!.attribution.data[p]! + singles[1]!.attribution.data[p]! + singles[2]!.attribution.data[p]!) / 3);
  const err = relErr(shap.attribution.data, mean);
  assert.ok(err < 1e-6, `relative difference ${err}`);
  const meanDelta = singles.reduce((s, e) => s + (e.extras.convergenceDelta as number[])[0]!, 0) / 3;
  assert.ok(Math.abs((shap.extras.convergenceDelta as number[])[0]! - meanDelta) < 1e-5);
  assert.equal(shap.extras.references, 3);
});

test("deeplift-shap 'exact' rules: Σ attribution = f(x) − mean f(reference)", async () => {
  const model = await conformanceModel('tiny_vgg');
  const x = readNpy('inputs/chelsea64.npy');
  const e = await deepliftShap.explain(model, x, { target: 6, baselines: 'gaussian', samples: 4, seed: 3, rules: 'exact' });
  const change = (e.extras.scores as number[])[0]! - (e.extras.meanReferenceScore as number[])[0]!;
  assert.ok(Math.abs(change) > 0.1, `score change ${change}`);
  assert.ok(Math.abs(sum(e.attribution.data) - change) < 1e-4 * Math.abs(change) + 1e-5, `Σ ${sum(e.attribution.data)} vs ${change}`);
});

// sampleBaselines takes parsed options: a direct caller's are checked and parsed once against the declared list
const values = (options: DeepLiftShapOptions) => checkedOptionValues(deepliftShapInfo.options, options, 'deeplift-shap');

test('sampled references are seeded, follow their distribution, and two images of a batch get their own', async () => {
  const model = await conformanceModel('tiny_vgg');
  const image = readNpy('inputs/chelsea64.npy');
  // a bad value never reaches the sampling, refused in explain's words
  assert.throws(() => values({ samples: 0 }), { message: 'deeplift-shap: samples must be within [1, 100000], got 0' });
  assert.throws(() => values({ noiseStd: -1 }), { message: 'deeplift-shap: noiseStd must be within [0, ∞], got -1' });
  const a = sampleBaselines(model, image, values({ baselines: 'uniform', samples: 2, seed: 5 }), 0);
  const b = sampleBaselines(model, image, values({ baselines: 'uniform', samples: 2, seed: 5 }), 0);
  const c = sampleBaselines(model, image, values({ baselines: 'uniform', samples: 2, seed: 6 }), 0);
  assert.deepEqual(a.dims, [2, 3, 64, 64]);
  assert.deepEqual(Array.from(a.data), Array.from(b.data));
  assert.notDeepEqual(Array.from(a.data.subarray(0, 10)), Array.from(c.data.subarray(0, 10)));
  // 'noise' (gradient-shap's name) is the same distribution
  assert.deepEqual(Array.from(sampleBaselines(model, image, values({ baselines: 'noise', samples: 2, seed: 5 }), 0).data), Array.from(a.data));
  // uniform over the normalized pixel range of each channel ([-1, 1] when the model declares no normalization)
  const norm = model.normalization;
  for (let c = 0; c < 3; c++) {
    const [lo, hi] = norm ? [(0 - norm.mean[c]!) / norm.std[c]!, (1 - norm.mean[c]!) / norm.std[c]!] : [-1, 1];
    const plane = a.data.subarray(c * 4096, (c + 1) * 4096);
    const [min, max] = [Math.min(...plane), Math.max(...plane)];
    assert.ok(min >= lo && max <= hi && min < lo + 0.05 * (hi - lo) && max > hi - 0.05 * (hi - lo), `channel ${c}: [${min}, ${max}] in [${lo}, ${hi}]`);
  }
  const g = sampleBaselines(model, image, values({ baselines: 'gaussian', samples: 4, noiseStd: 0.5, seed: 1 }), 0);
  const mean = sum(g.data) / g.size;
  const std = Math.sqrt(g.data.reduce((s, v) => s + (v - mean) ** 2, 0) / g.size);
  assert.ok(Math.abs(mean) < 0.01 && Math.abs(std - 0.5) < 0.01, `gaussian mean ${mean} std ${std}`);
  // row-wise total variation: a blur never increases it, and σ up to 4 px roughly halves it on average
  const blur = sampleBaselines(model, image, values({ baselines: 'blur', samples: 8, maxBlur: 4, seed: 2 }), 0);
  const roughness = (t: Float32Array): number => t.reduce((s, v, i) => (i % 64 === 0 ? s : s + Math.abs(v - t[i - 1]!)), 0);
  const own = roughness(image.data);
  const each = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => roughness(blur.item(i).data));
  assert.ok(each.every((r) => r <= own * (1 + 1e-6)), `each blurred reference is smoother: ${each.map((r) => (r / own).toFixed(2)).join(', ')}`);
  assert.ok(sum(each) / 8 < 0.6 * own, `mean roughness ratio ${(sum(each) / 8 / own).toFixed(2)}`);
  const two = Tensor.concat([image, image]);
  const e = await deepliftShap.explain(model, two, { target: 6, samples: 2, seed: 7 });
  assert.notDeepEqual(Array.from(e.attribution.data.subarray(0, 100)), Array.from(e.attribution.data.subarray(3 * 4096, 3 * 4096 + 100)));
  const again = await deepliftShap.explain(model, image, { target: 6, samples: 2, seed: 7 });
  assert.deepEqual(Array.from(again.attribution.data), Array.from(e.attribution.data.subarray(0, 3 * 4096)));
});

test('deeplift-shap with the zeros distribution is deeplift with a zero baseline', async () => {
  const model = await conformanceModel('tiny_mobilenet');
  const x = new Tensor(uniform(3 * 64 * 64, rng(2)), [1, 3, 64, 64]);
  const shap = await deepliftShap.explain(model, x, { target: 1, baselines: 'zeros', samples: 2 });
  const single = await deeplift.explain(model, x, { target: 1 });
  assert.ok(relErr(shap.attribution.data, single.attribution.data) < 1e-6);
});
