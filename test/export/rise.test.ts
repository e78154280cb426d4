import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportExplanation } from '../../src/export/index.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { bundledModelPath } from '../../src/node/paths.js';
import { Tensor } from '../../src/tensor.js';
import { model as conformanceModel, relErr } from '../helpers/conformance.js';
import { runPlainOnnx } from '../helpers/ort-only.js';
import { runCliInProcess } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

await loadAllMethods();

/** Image i of a batch as a batch of one. */
function row(t: Tensor, i: number): Tensor {
  const per = t.size / t.dims[0]!;
  return new Tensor(t.data.slice(i * per, (i + 1) * per), [1, ...t.dims.slice(1)]);
}

function batchFor(dims: readonly number[], n: number, phase: number): Tensor {
  const shape = [n, ...dims.slice(1)];
  return new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 1.5 * Math.sin(i * 0.37 + phase)), shape);
}

// RISE in the exported graph uses explain's seeded masks (an initializer); each image equals explain('rise') on it
const cases: [string, () => ReturnType<typeof loadModel>, Record<string, unknown>][] = [
  ['bundled fashion-cnn, default options (800 masks, 3×3 grid)', () => loadModel(bundledModelPath()), {}],
  ['tiny_resnet, seed 5, 120 masks, grid 5, p 0.3, baseline 0.25', () => conformanceModel('tiny_resnet'), { seed: 5, numMasks: 120, gridSize: 5, keepProbability: 0.3, baselines: 0.25 }],
];
for (const [name, open, options] of cases) {
  test(`RISE export: ${name}`, async (t) => {
    const model = await open();
    const ex = await exportExplanation(model, { methods: ['rise'], methodOptions: { rise: options } });
    const input = batchFor(model.inputDims as number[], 2, name.length);
    const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.of(3n, 7n), dims: [2] } });
    const got = out.rise!;
    assert.deepEqual(got.dims, [2, 1, ...input.dims.slice(2)]);
    const per = got.data.length / 2;
    let worst = 0;
    for (const [i, c] of [3, 7].entries()) {
      const e = await getMethod('rise').explain(model, row(input, i), { target: c, ...options });
      const err = relErr(got.data.subarray(i * per, (i + 1) * per), e.attribution.data);
      worst = Math.max(worst, err);
      assert.ok(err <= 1e-5, `image ${i}: max|onnx − explain| / max|explain| = ${err.toExponential(2)}`);
    }
    // another seed gives other masks: the comparison above is not trivially satisfied
    const other = await getMethod('rise').explain(model, row(input, 0), { target: 3, ...options, seed: 99 });
    assert.ok(relErr(got.data.subarray(0, per), other.attribution.data) > 1e-3);
    t.diagnostic(`largest relative error: ${worst.toExponential(2)}`);
  });
}

test('RISE export with a weight-vector target equals explain with target { weights }', async () => {
  const model = await loadModel(bundledModelPath());
  const options = { numMasks: 100, seed: 3 };
  const ex = await exportExplanation(model, { methods: ['rise'], methodOptions: { rise: options }, targetInput: 'weights' });
  const input = batchFor(model.inputDims as number[], 1, 0.9);
  const weights = Array.from({ length: 10 }, (_, c) => (c % 3) - 0.5);
  const out = await runPlainOnnx(ex.bytes, { [ex.inputs[0]!.name]: { data: input.data, dims: [...input.dims] }, target_weights: { data: Float32Array.from(weights), dims: [1, 10] } });
  const e = await getMethod('rise').explain(model, input, { target: { weights }, ...options });
  assert.ok(relErr(out.rise!.data, e.attribution.data) <= 1e-5);
});

test('RISE export refuses masks that would not fit an ONNX file, and counts beyond explain\'s limit in its words', async () => {
  const model = await loadModel(bundledModelPath());
  // the export checks the declared options as explain does (issue 22: one validator), before any graph work
  await assert.rejects(exportExplanation(model, { methods: ['rise'], methodOptions: { rise: { numMasks: 1_000_000 } } }), /^LumenError: export rise: numMasks must be within \[1, 100000\], got 1000000$/);
  // the seed's range (seedOption's declaration): the same words as explain's, each naming its place
  const words = 'seed must be within [-2147483648, 4294967295], got 8589934592';
  await assert.rejects(exportExplanation(model, { methods: ['rise'], methodOptions: { rise: { numMasks: 10, seed: 2 ** 33 } } }), { message: `export rise: ${words}` });
  await assert.rejects(getMethod('rise').explain(model, batchFor(model.inputDims as number[], 1, 0), { numMasks: 10, seed: 2 ** 33 }), { message: `rise.explain: ${words}` });
  await model.dispose();
  const shapes = await loadModel('models/shapes-clean.onnx');
  await assert.rejects(exportExplanation(shapes, { methods: ['rise'], methodOptions: { rise: { numMasks: 100_000 } } }), /RISE with 100000 masks of 64×64 needs 1\.6 GB of initializers \(ONNX files stop at 2 GB\); use fewer numMasks/);
  await shapes.dispose();
});

test('lumen export -m rise --seed 5 --num-masks 40 equals explain with that seed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumen-export-rise-'));
  try {
    const out = join(dir, 'rise.onnx');
    assert.equal((await runCliInProcess(['export', bundledModelPath(), '-m', 'rise', '--seed', '5', '--num-masks', '40', '-o', out])).code, 0);
    const model = await loadModel(bundledModelPath());
    const input = batchFor(model.inputDims as number[], 1, 0.2);
    const got = await runPlainOnnx(new Uint8Array(readFileSync(out)), { input: { data: input.data, dims: [...input.dims] }, target_class: { data: BigInt64Array.of(1n), dims: [1] } });
    const e = await getMethod('rise').explain(model, input, { target: 1, seed: 5, numMasks: 40 });
    assert.ok(relErr(got.rise!.data, e.attribution.data) <= 1e-5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
