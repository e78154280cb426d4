import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel } from '../../src/onnx/io.js';
import { exportExplanation, EXPORTABLE_METHODS, tritonConfig } from '../../src/export/index.js';
import { exportExplanationFiles } from '../../src/node/export-files.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { bundledModelPath } from '../../src/node/paths.js';
import { Tensor } from '../../src/tensor.js';
import { LumenError } from '../../src/errors.js';
import { caseDir, layerOf, manifest, model as conformanceModel, readNpy, relErr } from '../helpers/conformance.js';
import { runPlainOnnx } from '../helpers/ort-only.js';
import { readImageFile } from '../../src/node/image-file.js';
import { loadInput } from '../../src/node/inputs.js';

await loadAllMethods();

/** RISE is tested in rise.test.ts (per image: explain draws new masks for each image of a batch). */
const METHODS = EXPORTABLE_METHODS.filter((m) => m !== 'rise');

/** A deterministic batch of n images shaped like the model input (values in ±1.5). */
function batchFor(dims: readonly number[], n: number, phase: number): Tensor {
  const shape = [n, ...dims.slice(1)];
  const size = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(size);
  for (let i = 0; i < size; i++) x[i] = 1.5 * Math.sin(i * 0.37 + phase);
  return new Tensor(x, shape);
}

/** Integrated Gradients' path points ride in the batch: 8 of them keep the test small. */
const OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 8, method: 'riemann_trapezoid' },
  smoothgrad: { samples: 3 },
  occlusion: { slidingWindowShapes: '16', strides: '12', baselines: 0.5 },
};

/**
 * SmoothGrad as its definition, through explain: Saliency on each noisy copy x_i + noise_is (the noise the exported
 * graph was fed), averaged over the copies.
 */
async function smoothgradOf(model: Awaited<ReturnType<typeof loadModel>>, input: Tensor, noise: Float32Array, samples: number, classes: number[]): Promise<Float32Array> {
  const n = input.dims[0]!;
  const per = input.size / n;
  const noisy = new Float32Array(n * samples * per);
  for (let i = 0; i < n; i++) for (let s = 0; s < samples; s++) for (let p = 0; p < per; p++) noisy[(i * samples + s) * per + p] = input.data[i * per + p]! + noise[(i * samples + s) * per + p]!;
  const e = await getMethod('saliency').explain(model, new Tensor(noisy, [n * samples, ...input.dims.slice(1)]), { target: classes.flatMap((c) => Array<number>(samples).fill(c)) });
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < per; p++) {
      let sum = 0;
      for (let s = 0; s < samples; s++) sum += e.attribution.data[(i * samples + s) * per + p]!;
      out[i * per + p] = sum / samples;
    }
  }
  return out;
}

const CLASSIFIERS = ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg', 'tiny_vit', 'tiny_swin'];

describe('exported explanation graphs run in plain onnxruntime-node and equal explain', () => {
  const cases: [string, () => Promise<Awaited<ReturnType<typeof loadModel>>>][] = [
    ...CLASSIFIERS.map((name): [string, () => ReturnType<typeof loadModel>] => [name, () => conformanceModel(name)]),
    ['bundled fashion-cnn', () => loadModel(bundledModelPath())],
  ];
  for (const [name, open] of cases) {
    test(name, async () => {
      const model = await open();
      const ex = await exportExplanation(model, { methods: METHODS, methodOptions: OPTIONS });
      // standard ONNX only, the source opset
      const proto = decodeModel(ex.bytes);
      const domains = new Set(proto.graph!.node.map((n) => n.domain));
      assert.deepEqual([...domains].filter((d) => d !== '' && d !== 'ai.onnx'), [], 'no custom-domain ops');
      assert.ok(ex.opset >= model.graph.opset);
      // two images, two different classes in one run
      const input = batchFor(model.inputDims as number[], 2, name.length);
      const classes = [3, 7];
      const samples = OPTIONS.smoothgrad!.samples as number;
      const noise = Float32Array.from({ length: input.size * samples }, (_, i) => 0.15 * Math.sin(i * 1.7 + 0.3));
      const out = await runPlainOnnx(ex.bytes, {
        [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] },
        target_class: { data: BigInt64Array.from(classes.map(BigInt)), dims: [2] },
        smoothgrad_noise: { data: noise, dims: [2, samples, ...input.dims.slice(1)] },
      });
      const { logits } = await model.forward(input);
      assert.ok(relErr(out.logits!.data, logits.data) <= 1e-5, 'logits');
      for (let i = 0; i < 2; i++) {
        const row = Array.from(logits.data.subarray(i * 10, i * 10 + 10));
        const m = Math.max(...row);
        const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
        assert.ok(relErr(out.probabilities!.data.subarray(i * 10, i * 10 + 10), row.map((v) => Math.exp(v - m) / z)) <= 1e-5, 'probabilities');
      }
      for (const id of METHODS) {
        const got = out[ex.attributions[id]!]!;
        const want = id === 'smoothgrad' ? new Tensor(await smoothgradOf(model, input, noise, samples, classes), input.dims) : (await getMethod(id).explain(model, input, { target: classes, ...OPTIONS[id] })).attribution;
        assert.deepEqual(got.dims, [...want.dims], `${id} dims`);
        const err = relErr(got.data, want.data);
        assert.ok(err <= 1e-5, `${name} ${id}: max|onnx − explain| / max|explain| = ${err.toExponential(2)}`);
      }
    });
  }
});

describe('exported CAMs pass the conformance references (pytorch-grad-cam final maps)', () => {
  const names: Record<string, string> = { GradCAM: 'gradcam', HiResCAM: 'hirescam', XGradCAM: 'xgradcam', GradCAMPlusPlus: 'gradcam++', LayerCAM: 'layercam' };
  for (const modelName of CLASSIFIERS) {
    test(modelName, async () => {
      const model = await conformanceModel(modelName);
      const ex = await exportExplanation(model, { methods: Object.values(names), layer: layerOf(modelName) });
      // every case of this model in one batch, each with its own class
      const cases = manifest.cases.filter((c) => c.model === modelName && c.target_kind === undefined);
      assert.ok(cases.length > 0);
      const images = cases.map((c) => readNpy(c.input_file));
      const input = Tensor.concat(images);
      const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.from(cases.map((c) => BigInt(c.target))), dims: [cases.length] } });
      let rows = 0;
      cases.forEach((c, i) => {
        for (const [refName, id] of Object.entries(names)) {
          const ref = readNpy(`${caseDir(c)}/${refName}.final.npy`);
          const got = out[ex.attributions[id]!]!;
          const per = got.data.length / cases.length;
          const err = relErr(got.data.subarray(i * per, (i + 1) * per), ref.data);
          assert.ok(err <= 1e-4, `${modelName} ${c.input} ${refName}: max|onnx − ref| = ${err.toExponential(2)}`);
          rows++;
        }
      });
      assert.equal(rows, cases.length * 5);
    });
  }
});

test('--with-preprocessing: raw uint8 pixels in, the same numbers as explain on the image Lumen prepares', async () => {
  const model = await loadModel(bundledModelPath());
  const ex = await exportExplanation(model, { methods: ['gradcam', 'saliency'], withPreprocessing: true });
  assert.deepEqual(ex.inputs.map((i) => [i.name, i.type, i.dims]), [['pixels', 'uint8', ['batch', 'height', 'width', 1]], ['target_class', 'int64', ['batch']]]);
  const files = ['samples/fashion/9-ankle-boot.png', 'samples/fashion/3-dress.png'];
  const images = await Promise.all(files.map((f) => readImageFile(f)));
  const pixels = new Uint8Array(images.flatMap((im) => Array.from(im.data)));
  const out = await runPlainOnnx(ex.bytes, { pixels: { data: pixels, dims: [2, 28, 28, 1] }, target_class: { data: BigInt64Array.of(9n, 3n), dims: [2] } });
  const input = Tensor.concat(await Promise.all(files.map(async (f) => (await loadInput(f, model)).tensor)));
  const { logits } = await model.forward(input);
  assert.ok(relErr(out.logits!.data, logits.data) <= 1e-6, 'logits from raw pixels');
  for (const id of ['gradcam', 'saliency']) {
    const e = await getMethod(id).explain(model, input, { target: [9, 3] });
    const err = relErr(out[id]!.data, e.attribution.data);
    assert.ok(err <= 1e-5, `${id}: ${err.toExponential(2)}`);
  }
  // another size is resized in the graph to the model's 28×28
  const big = new Uint8Array(56 * 56);
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big[y * 56 + x] = images[0]!.data[Math.floor(y / 2) * 28 + Math.floor(x / 2)]!;
  const resized = await runPlainOnnx(ex.bytes, { pixels: { data: big, dims: [1, 56, 56, 1] }, target_class: { data: BigInt64Array.of(9n), dims: [1] } });
  assert.deepEqual(resized.gradcam!.dims, [1, 1, 28, 28]);
  assert.ok(relErr(resized.logits!.data, logits.data.subarray(0, 10)) < 0.05, 'a 2× nearest upscale, resized back, is close to the original');
});

describe('export: bad input and serving files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-export-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a method that cannot be exported is refused with the list that can', async () => {
    const model = await conformanceModel('fashion_cnn');
    await assert.rejects(exportExplanation(model, { methods: ['gradcam', 'lime'] }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /'lime' cannot be exported.*Exportable: gradcam, hirescam/.test(e.message));
    await assert.rejects(exportExplanation(model, { methods: ['nosuchmethod'] }), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_METHOD');
    await assert.rejects(exportExplanation(model, { methods: [] }), (e: unknown) => e instanceof LumenError && /no method given/.test(e.message));
    await assert.rejects(exportExplanation(model, { methods: ['ig'], methodOptions: { ig: { baseline: 'blur' } } }), (e: unknown) => e instanceof LumenError && /zeros baseline only, got baseline=blur/.test(e.message));
    // IG's option is 'baseline'; Captum's 'baselines' is not read as an alias (issue 22)
    await assert.rejects(exportExplanation(model, { methods: ['ig'], methodOptions: { ig: { baselines: 'blur' } } }), (e: unknown) => e instanceof LumenError && /option 'baselines' of integrated-gradients is not exportable/.test(e.message));
  });

  test('a model whose output is not [batch, classes] is refused', async () => {
    const model = await conformanceModel('tiny_segnet');
    await assert.rejects(exportExplanation(model, { methods: ['gradcam'] }), (e: unknown) => e instanceof LumenError && e.code === 'UNSUPPORTED_MODEL' && /explains classifiers whose output is \[batch, classes\]/.test(e.message));
  });

  test('an unknown layer is refused', async () => {
    const model = await conformanceModel('fashion_cnn');
    await assert.rejects(exportExplanation(model, { methods: ['gradcam'], layer: 'no/such/tensor' }), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_LAYER' && /unknown layer 'no\/such\/tensor'/.test(e.message));
  });

  test('an existing output is kept without force; the Triton repository holds config.pbtxt and 1/model.onnx', async () => {
    const model = await conformanceModel('fashion_cnn');
    const out = join(dir, 'fashion.explain.onnx');
    writeFileSync(out, 'keep me');
    await assert.rejects(exportExplanationFiles(model, { methods: ['gradcam'], out }), (e: unknown) => e instanceof LumenError && e.code === 'OUTPUT_EXISTS' && /--force/.test(e.message));
    assert.equal(readFileSync(out, 'utf8'), 'keep me');
    const triton = join(dir, 'repo');
    const r = await exportExplanationFiles(model, { methods: ['gradcam', 'saliency'], out, triton, force: true, tritonOptions: { maxBatchSize: 16 } });
    assert.deepEqual(r.files, [out, join(triton, 'fashion.explain', 'config.pbtxt'), join(triton, 'fashion.explain', '1', 'model.onnx')]);
    assert.deepEqual(new Uint8Array(readFileSync(join(triton, 'fashion.explain', '1', 'model.onnx'))), r.exported.bytes);
    await assert.rejects(exportExplanationFiles(model, { methods: ['gradcam'], triton, tritonOptions: { name: 'fashion.explain' } }), (e: unknown) => e instanceof LumenError && e.code === 'OUTPUT_EXISTS' && /model folder .*fashion.explain exists/.test(e.message));
    const config = readFileSync(join(triton, 'fashion.explain', 'config.pbtxt'), 'utf8');
    assert.equal(
      config,
      [
        'name: "fashion.explain"',
        'platform: "onnxruntime_onnx"',
        'max_batch_size: 16',
        'input [',
        '  {\n    name: "input"\n    data_type: TYPE_FP32\n    dims: [ 1, 28, 28 ]\n  },',
        '  {\n    name: "target_class"\n    data_type: TYPE_INT64\n    dims: [ 1 ]\n    reshape: { shape: [ ] }\n  }',
        ']',
        'output [',
        '  {\n    name: "logits"\n    data_type: TYPE_FP32\n    dims: [ 10 ]\n  },',
        '  {\n    name: "probabilities"\n    data_type: TYPE_FP32\n    dims: [ 10 ]\n  },',
        '  {\n    name: "gradcam"\n    data_type: TYPE_FP32\n    dims: [ 1, 28, 28 ]\n  },',
        '  {\n    name: "saliency"\n    data_type: TYPE_FP32\n    dims: [ 1, 28, 28 ]\n  }',
        ']',
        'dynamic_batching {\n  max_queue_delay_microseconds: 100\n}',
        'instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]',
        '',
      ].join('\n'),
    );
    // the file's declared inputs and outputs are what the config names
    const proto = decodeModel(r.exported.bytes);
    assert.deepEqual(proto.graph!.input.map((i) => i.name), ['input', 'target_class']);
    assert.deepEqual(proto.graph!.output.map((o) => o.name), ['logits', 'probabilities', 'gradcam', 'saliency']);
    assert.ok(existsSync(out));
  });

  test('tritonConfig refuses a bad name and a bad batch size', () => {
    const shape = { inputs: [], outputs: [] };
    assert.throws(() => tritonConfig(shape, { name: 'a b' }), /letters, digits/);
    assert.throws(() => tritonConfig(shape, { name: 'ok', maxBatchSize: 0 }), /positive integer/);
  });
});
