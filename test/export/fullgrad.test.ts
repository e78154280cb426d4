import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportExplanation } from '../../src/export/index.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { bundledModelPath } from '../../src/node/paths.js';
import { Tensor } from '../../src/tensor.js';
import { caseDir, manifest, model as conformanceModel, readNpy, relErr } from '../helpers/conformance.js';
import { runPlainOnnx } from '../helpers/ort-only.js';
import { runCliInProcess } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

await loadAllMethods();

function batchFor(dims: readonly number[], n: number, phase: number): Tensor {
  const shape = [n, ...dims.slice(1)];
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 1.5 * Math.sin(i * 0.37 + phase)), shape);
}

// FullGrad in the exported graph (input×gradient and bias-gradient maps, min-maxed, resized, summed) equals explain
const models: [string, () => ReturnType<typeof loadModel>][] = [
  ['bundled fashion-cnn', () => loadModel(bundledModelPath())],
  ['tiny_resnet', () => conformanceModel('tiny_resnet')],
  ['tiny_vgg', () => conformanceModel('tiny_vgg')],
];
for (const [name, open] of models) {
  test(`FullGrad export equals explain('fullgrad'): ${name}, batch of 2, classes 3 and 7`, async (t) => {
    const model = await open();
    const ex = await exportExplanation(model, { methods: ['full-grad', 'gradcam'] });
    assert.equal(ex.attributions.fullgrad, 'fullgrad');
    const input = batchFor(model.inputDims as number[], 2, name.length);
    const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.of(3n, 7n), dims: [2] } });
    const e = await getMethod('fullgrad').explain(model, input, { target: [3, 7] });
    assert.ok((e.extras.biasLayers as number) > 0);
    const got = out.fullgrad!;
    assert.deepEqual(got.dims, [2, 1, ...input.dims.slice(2)]);
    const err = relErr(got.data, e.attribution.data);
    assert.ok(err <= 1e-5, `max|onnx − explain| / max|explain| = ${err.toExponential(2)}`);
    // the two images' maps differ (their classes and pixels differ), so the comparison is not trivially met
    const per = got.data.length / 2;
    assert.ok(relErr(got.data.subarray(0, per), got.data.subarray(per)) > 1e-3);
    // the CAM sharing the same backward pass still equals explain
    const cam = await getMethod('gradcam').explain(model, input, { target: [3, 7] });
    assert.ok(relErr(out.gradcam!.data, cam.attribution.data) <= 1e-5);
    t.diagnostic(`fullgrad relative error ${err.toExponential(2)}`);
  });
}

test('FullGrad export next to Integrated Gradients (the batch extended by the path points) reads its own rows', async () => {
  const model = await loadModel(bundledModelPath());
  const ex = await exportExplanation(model, { methods: ['fullgrad', 'integrated-gradients'], methodOptions: { 'integrated-gradients': { steps: 4 } } });
  const input = batchFor(model.inputDims as number[], 2, 1.1);
  const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.of(0n, 5n), dims: [2] } });
  const e = await getMethod('fullgrad').explain(model, input, { target: [0, 5] });
  assert.ok(relErr(out.fullgrad!.data, e.attribution.data) <= 1e-5);
  const ig = await getMethod('integrated-gradients').explain(model, input, { target: [0, 5], steps: 4 });
  assert.ok(relErr(out.integrated_gradients!.data, ig.attribution.data) <= 1e-5);
});

test('FullGrad export with a weight-vector target equals explain with target { weights }', async () => {
  const model = await conformanceModel('tiny_resnet');
  const ex = await exportExplanation(model, { methods: ['fullgrad'], targetInput: 'weights' });
  const input = batchFor(model.inputDims as number[], 1, 0.4);
  const k = ex.inputs[1]!.dims[1];
  assert.equal(typeof k, 'number');
  const weights = Array.from({ length: k as number }, (_, c) => (c % 3) - 0.7);
  const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_weights: { data: Float32Array.from(weights), dims: [1, k as number] } });
  const e = await getMethod('fullgrad').explain(model, input, { target: { weights } });
  assert.ok(relErr(out.fullgrad!.data, e.attribution.data) <= 1e-5);
});

test('FullGrad export passes the conformance references (pytorch-grad-cam FullGrad final maps)', async (t) => {
  const refs = manifest.references.filter((r) => r.method === 'FullGrad' && r.output === 'final');
  const byModel = [...new Set(refs.map((r) => r.model))];
  assert.ok(byModel.includes('tiny_resnet') && byModel.includes('tiny_vgg') && byModel.includes('fashion_cnn'));
  let rows = 0;
  let worst = 0;
  for (const modelName of byModel) {
    const model = await conformanceModel(modelName);
    const ex = await exportExplanation(model, { methods: ['fullgrad'] });
    const cases = manifest.cases.filter((c) => c.model === modelName && c.target_kind === undefined && refs.some((r) => r.model === modelName && r.input === c.input && r.target === c.target));
    const input = Tensor.concat(cases.map((c) => readNpy(c.input_file)));
    const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.from(cases.map((c) => BigInt(c.target))), dims: [cases.length] } });
    const got = out.fullgrad!;
    const per = got.data.length / cases.length;
    cases.forEach((c, i) => {
      const ref = readNpy(`${caseDir(c)}/FullGrad.final.npy`);
      const err = relErr(got.data.subarray(i * per, (i + 1) * per), ref.data);
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-4, `${modelName} ${c.input}: max|onnx − ref| = ${err.toExponential(2)}`);
      rows++;
    });
  }
  assert.equal(rows, refs.length);
  t.diagnostic(`${rows} reference maps, largest error ${worst.toExponential(2)}`);
});

test('lumen export -m fullgrad writes a file whose fullgrad output equals explain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-export-fullgrad-'));
  try {
    const out = join(dir, 'fullgrad.onnx');
    assert.equal((await runCliInProcess(['export', bundledModelPath(), '-m', 'fullgrad', '-o', out])).code, 0);
    const model = await loadModel(bundledModelPath());
    const input = batchFor(model.inputDims as number[], 1, 0.2);
    const got = await runPlainOnnx(new Uint8Array(readFileSync(out)), { input: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.of(1n), dims: [1] } });
    const e = await getMethod('fullgrad').explain(model, input, { target: 1 });
    assert.ok(relErr(got.fullgrad!.data, e.attribution.data) <= 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FullGrad export refuses the options its graph would ignore', async () => {
  const model = await loadModel(bundledModelPath());
  await assert.rejects(exportExplanation(model, { methods: ['fullgrad'], methodOptions: { fullgrad: { augSmooth: true } } }), /option 'augSmooth' of fullgrad is not exportable/);
});
