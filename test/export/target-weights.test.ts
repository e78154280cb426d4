import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exportExplanation, EXPORTABLE_METHODS } from '../../src/export/index.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { bundledModelPath } from '../../src/node/paths.js';
import { Tensor } from '../../src/tensor.js';
import { LumenError } from '../../src/errors.js';
import { model as conformanceModel, relErr } from '../helpers/conformance.js';
import { runPlainOnnx } from '../helpers/ort-only.js';
import { runCliInProcess } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel } from '../../src/onnx/io.js';

await loadAllMethods();

/** RISE is tested in rise.test.ts (per image: explain draws new masks for each image of a batch). */
const METHODS = EXPORTABLE_METHODS.filter((m) => m !== 'rise');

const OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 8, method: 'riemann_trapezoid' },
  smoothgrad: { samples: 3 },
  occlusion: { slidingWindowShapes: '16', strides: '12', baselines: 0.5 },
};

/** A deterministic batch of n images shaped like the model input (values in ±1.5). */
function batchFor(dims: readonly number[], n: number, phase: number): Tensor {
  const shape = [n, ...dims.slice(1)];
  const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 1.5 * Math.sin(i * 0.37 + phase));
  return new Tensor(x, shape);
}

/** Image i of a batch as a batch of one. */
function row(t: Tensor, i: number): Tensor {
  const per = t.size / t.dims[0]!;
  return new Tensor(t.data.slice(i * per, (i + 1) * per), [1, ...t.dims.slice(1)]);
}

describe('targetInput weights: a float [batch, classes] weight vector per image seeds the exported graph', () => {
  const cases: [string, () => ReturnType<typeof loadModel>][] = [
    ['bundled fashion-cnn', () => loadModel(bundledModelPath())],
    ['tiny_resnet', () => conformanceModel('tiny_resnet')],
  ];
  for (const [name, open] of cases) {
    test(name, async (t) => {
      const model = await open();
      let worst = 0;
      const ex = await exportExplanation(model, { methods: METHODS, methodOptions: OPTIONS, targetInput: 'weights' });
      assert.deepEqual(ex.inputs[1], { name: 'target_weights', type: 'float32', dims: ['batch', 10] });
      const input = batchFor(model.inputDims as number[], 2, name.length);
      // a different mixed-sign weight vector per image
      const weights = [Array.from({ length: 10 }, (_, c) => Math.fround(Math.cos(c * 1.3) * 0.8)), Array.from({ length: 10 }, (_, c) => (c === 2 ? 1.5 : c === 7 ? -0.5 : 0.1 * c))];
      const samples = 3;
      const noise = Float32Array.from({ length: input.size * samples }, (_, i) => 0.15 * Math.sin(i * 1.7 + 0.3));
      const out = await runPlainOnnx(ex.bytes, {
        [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] },
        target_weights: { data: Float32Array.from(weights.flat()), dims: [2, 10] },
        smoothgrad_noise: { data: noise, dims: [2, samples, ...input.dims.slice(1)] },
      });
      for (const id of METHODS) {
        const got = out[ex.attributions[id]!]!;
        const per = got.data.length / 2;
        for (let i = 0; i < 2; i++) {
          const target = { weights: weights[i]! };
          let want: Float32Array;
          if (id === 'smoothgrad') {
            // the definition: weighted Saliency on the noisy copies the graph was fed, averaged
            const image = row(input, i);
            const noisy = new Float32Array(samples * image.size);
            for (let s = 0; s < samples; s++) for (let p = 0; p < image.size; p++) noisy[s * image.size + p] = image.data[p]! + noise[(i * samples + s) * image.size + p]!;
            const e = await getMethod('saliency').explain(model, new Tensor(noisy, [samples, ...image.dims.slice(1)]), { target });
            want = new Float32Array(image.size);
            for (let p = 0; p < image.size; p++) {
              let sum = 0;
              for (let s = 0; s < samples; s++) sum += e.attribution.data[s * image.size + p]!;
              want[p] = sum / samples;
            }
          } else {
            want = (await getMethod(id).explain(model, row(input, i), { target, ...OPTIONS[id] })).attribution.data;
          }
          const err = relErr(got.data.subarray(i * per, (i + 1) * per), want);
          worst = Math.max(worst, err);
          assert.ok(err <= 1e-5, `${name} ${id} image ${i}: max|onnx − explain| / max|explain| = ${err.toExponential(2)}`);
        }
      }
      t.diagnostic(`largest relative error over all methods: ${worst.toExponential(2)}`);
    });
  }

  test('a one-hot weight vector gives what the class index gives', async () => {
    const model = await loadModel(bundledModelPath());
    const methods = ['gradcam', 'saliency', 'occlusion'];
    const byIndex = await exportExplanation(model, { methods, methodOptions: OPTIONS });
    const byWeights = await exportExplanation(model, { methods, methodOptions: OPTIONS, targetInput: 'weights' });
    const input = batchFor(model.inputDims as number[], 2, 0.4);
    const image = { data: input.data, dims: [...input.dims] };
    const a = await runPlainOnnx(byIndex.bytes, { [byIndex.inputs[0]!.name]: image, target_class: { data: BigInt64Array.of(4n, 8n), dims: [2] } });
    const hot = new Float32Array(20);
    hot[4] = 1;
    hot[18] = 1;
    const b = await runPlainOnnx(byWeights.bytes, { [byWeights.inputs[0]!.name]: image, target_weights: { data: hot, dims: [2, 10] } });
    for (const id of methods) assert.deepEqual(Array.from(b[id]!.data), Array.from(a[id]!.data), id);
  });
});

describe('export refuses options it would ignore', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['gradcam', { augSmooth: true }, /option 'augSmooth' of gradcam is not exportable/],
    ['layercam', { eigenSmooth: true }, /option 'eigenSmooth' of layercam is not exportable/],
    ['gradcam', { layerLayout: 'nhwc' }, /option 'layerLayout' of gradcam/],
    ['gradcam', { raw: true }, /option 'raw' of gradcam/],
    ['smoothgrad', { stdev: 0.3 }, /option 'stdev' of smoothgrad is not exportable \(the noise is the graph input 'smoothgrad_noise'/],
    ['integrated-gradients', { blurSigma: 2 }, /option 'blurSigma' of integrated-gradients/],
    ['saliency', { target: 3 }, /option 'target' of saliency is not exportable \(the target is a graph input\)/],
  ];
  for (const [method, methodOptions, message] of cases) {
    test(`${method} ${JSON.stringify(methodOptions)}`, async () => {
      const model = await loadModel(bundledModelPath());
      await assert.rejects(exportExplanation(model, { methods: [method], methodOptions: { [method]: methodOptions } }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && message.test(e.message));
    });
  }

  test('options at their defaults, and those that only change how explain runs, are accepted', async () => {
    const model = await loadModel(bundledModelPath());
    const ex = await exportExplanation(model, { methods: ['gradcam', 'saliency'], methodOptions: { gradcam: { augSmooth: false, eigenSmooth: false, raw: false }, saliency: { batchSize: 4, abs: false } } });
    assert.deepEqual(Object.keys(ex.attributions), ['gradcam', 'saliency']);
  });

  test('an unknown target input kind is refused', async () => {
    const model = await loadModel(bundledModelPath());
    await assert.rejects(exportExplanation(model, { methods: ['saliency'], targetInput: 'probabilities' as 'index' }), /target input is 'index' or 'weights', got 'probabilities'/);
  });
});

test('lumen export --target-input weights writes a graph with target_weights; a bad kind or ignored option exits 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-export-weights-'));
  try {
    const out = join(dir, 'w.onnx');
    assert.equal((await runCliInProcess(['export', bundledModelPath(), '-m', 'gradcam', '--target-input', 'weights', '-o', out])).code, 0);
    const proto = decodeModel(new Uint8Array(readFileSync(out)));
    assert.deepEqual(proto.graph!.input.map((i) => i.name).sort(), ['input', 'target_weights'].sort());
    const bad = await runCliInProcess(['export', bundledModelPath(), '-m', 'gradcam', '--target-input', 'probs', '-o', join(dir, 'b.onnx')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--target-input must be 'index' or 'weights', got 'probs'/);
    const smooth = await runCliInProcess(['export', bundledModelPath(), '-m', 'gradcam', '--aug-smooth', '-o', join(dir, 'c.onnx')]);
    assert.equal(smooth.code, 2);
    assert.match(smooth.stderr, /option 'augSmooth' of gradcam is not exportable/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
