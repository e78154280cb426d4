// The explained scalar computed inside the ORT session (src/targets/session.ts, LumenModel.forwardMasked's `score`)
// against the JS oracle `targetScores` on the fetched target tensor, for every target kind: relative error ≤ 1e-6.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { loadModel } from '../../src/node/load.js';
import { Tensor } from '../../src/tensor.js';
import { forwardScores, forwardTarget, resolveBatchTargets, rowsFor, targetScores, targetTensor, type TargetSpec } from '../../src/targets/index.js';
import { rng, randn } from '../autodiff/helpers.js';
import { multiHeadGraph } from './helpers.js';

const runtime = nodeRuntime({ threads: 1 });
const measured: string[] = [];
after(() => measured.forEach((m) => console.log(`# ${m}`)));

function image(seed: number, dims: readonly number[]): Tensor {
  const r = rng(seed);
  const size = dims.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, () => randn(r)), dims);
}

function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(Math.abs(want[i]!), 1e-12));
  return worst;
}

async function check(label: string, model: LumenModel, x: Tensor, spec: TargetSpec): Promise<void> {
  const resolved = await resolveBatchTargets(model, x, spec);
  const { values } = await forwardTarget(model, x, targetTensor(model, resolved));
  const oracle = targetScores(values, resolved);
  const got = await forwardScores(model, x, resolved);
  assert.equal(got.length, x.dims[0]);
  assert.ok(oracle.every((v) => Number.isFinite(v) && v !== 0), `${label}: a non-trivial scalar (${[...oracle].join(', ')})`);
  const err = relError(got, oracle);
  measured.push(`${label}: in-session vs targetScores, max relative error ${err.toExponential(2)} (fetched ${x.dims[0]} numbers instead of ${values.size})`);
  assert.ok(err <= 1e-6, `${label}: ${[...got].join(', ')} vs ${[...oracle].join(', ')} (${err})`);
  // forwardMasked with a score: each mask's scalar equals targetScores of the masked forward's tensor (seed row 0)
  const one = new Tensor(x.data.slice(0, x.size / x.dims[0]!), [1, ...x.dims.slice(1)]);
  const [h, w] = [x.dims[2]!, x.dims[3]!];
  const r = rng(5);
  const masks = new Tensor(Float32Array.from({ length: 3 * h * w }, () => (r() < 0.7 ? 1 : r())), [3, 1, h, w]);
  const tensor = targetTensor(model, resolved);
  const full = await model.forwardMasked(one, masks, 0.25, 'blend', tensor);
  const want = targetScores(full, resolved, () => 0);
  const scores = await model.forwardMasked(one, masks, 0.25, 'blend', tensor, { seed: rowsFor(resolved, 3, () => 0), output: resolved.output });
  assert.deepEqual(scores.dims, [3]);
  const maskedErr = relError(scores.data, want);
  measured.push(`${label}: forwardMasked score vs targetScores ${maskedErr.toExponential(2)}`);
  assert.ok(maskedErr <= 1e-6, `${label} masked: ${[...scores.data].join(', ')} vs ${[...want].join(', ')}`);
}

test('class targets of a classifier: top1 (per-image seeds), a class index, probability, weights', async () => {
  const model = await loadModel('models/fashion-cnn.onnx');
  const x = image(1, [2, ...model.zeroInput().dims.slice(1)]);
  await check('class top1 logit', model, x, 'top1');
  await check('class 3 probability', model, x, { class: 3, output: 'probability' });
  await check('class list [2, 7] probability', model, x, { class: [2, 7], output: 'probability' });
  await check('weights', model, x, { weights: [1, -0.5, 0, 0.25, 0, 0, 2, 0, 0, 0.5] });
});

test('output index (regression), detection heads (channels; rows × objectness), embedding cosine on a multi-output model', async () => {
  const model = LumenModel.fromProto(multiHeadGraph().model, { runtime, source: 'multi-head' });
  const x = image(2, [2, 3, 8, 8]);
  await check('out:1 of reg', model, x, { kind: 'index', index: 1, tensor: 'reg' });
  await check('det:5 channels head', model, x, { kind: 'detection', index: 5, tensor: 'det' });
  await check('det:box rows head × objectness', model, x, { kind: 'detection', box: { x0: 1, y0: 1, x1: 5, y1: 6 }, objectness: true, tensor: 'rows' });
  await check('embed cosine', model, x, { kind: 'embedding', reference: image(3, [1, 3, 8, 8]), tensor: 'emb' });
});

test('segmentation on tiny_segnet: explicit mask, box, where it wins; detection on the trained shapes detector', async () => {
  const seg = await loadModel('conformance/models/tiny_segnet.onnx');
  const x = image(4, [2, 3, 64, 64]);
  const r = rng(8);
  await check('seg mask', seg, x, { kind: 'segmentation', category: 2, mask: Float32Array.from({ length: 64 * 64 }, () => (r() < 0.4 ? 1 : 0)) });
  await check('seg box', seg, x, { kind: 'segmentation', category: 1, box: { x0: 8, y0: 10, x1: 40, y1: 50 } });
  await check('seg where it wins', seg, x, { kind: 'segmentation', category: 1 });
  const det = await loadModel('models/shapes-det.onnx');
  const y = image(6, [1, ...det.zeroInput().dims.slice(1)]);
  await check('shapes-det det:box × objectness', det, y, { kind: 'detection', box: { x0: 10, y0: 10, x1: 30, y1: 30 }, objectness: true });
});
