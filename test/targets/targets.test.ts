// Targets beyond classification (src/targets): segmentation, detection heads, regression outputs, embedding
// similarity. Every check is numeric: the gradient of the explained scalar against central finite differences of the
// scalar the perturbation methods and metrics score (targetScores of the model's outputs), Integrated Gradients'
// completeness, and one clear error per bad input.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { LumenError } from '../../src/errors.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { loadModel } from '../../src/node/load.js';
import { Tensor } from '../../src/tensor.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { evaluate } from '../../src/metrics/index.js';
import { forwardTarget, nonMaxSuppression, detectionHead, parseTargetSpec, resolveBatchTargets, targetScores, targetTensor, type TargetSpec } from '../../src/targets/index.js';
import { rng, randn } from '../autodiff/helpers.js';
import { multiHeadGraph } from './helpers.js';

await loadAllMethods();
after(() => measured.forEach((m) => console.log(`# ${m}`)));
const runtime = nodeRuntime({ threads: 1 });
const multiHeadModel = (): LumenModel => LumenModel.fromProto(multiHeadGraph().model, { runtime, source: 'multi-head' });
const isLumen = (code: string, text?: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.code === code && (!text || text.test(e.message));

function image(seed: number, dims = [1, 3, 8, 8]): Tensor {
  const r = rng(seed);
  const size = dims.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: size }, () => randn(r)), dims);
}

/** The scalar perturbation methods and metrics score: targetScores of the target tensor's values. */
async function scalar(model: LumenModel, x: Tensor, spec: TargetSpec): Promise<number> {
  const resolved = await resolveBatchTargets(model, x, spec);
  const { values } = await forwardTarget(model, x, targetTensor(model, resolved));
  return targetScores(values, resolved)[0]!;
}

/**
 * Saliency (signed, the in-graph gradient of the seeded scalar) at `count` positions against central differences of
 * `scalar` with the target resolved once (as a batch resolves it). Returns the worst relative error.
 */
const measured: string[] = [];
async function gradientVsFiniteDifferences(model: LumenModel, x: Tensor, spec: TargetSpec, count = 6, h = 1e-2): Promise<number> {
  const resolved = await resolveBatchTargets(model, x, spec);
  const frozen: TargetSpec = { kind: 'resolved', classes: resolved.classes, seed: resolved.seed, output: resolved.output, ...(resolved.tensor ? { tensor: resolved.tensor } : {}) };
  const g = (await getMethod('saliency').explain(model, x, { target: frozen, abs: false })).attribution;
  const r = rng(99);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < g.size; i++) scale = Math.max(scale, Math.abs(g.data[i]!));
  for (let t = 0; t < count; t++) {
    const p = Math.floor(r() * x.size);
    const plus = new Tensor(x.data.slice(), x.dims);
    const minus = new Tensor(x.data.slice(), x.dims);
    plus.data[p]! += h;
    minus.data[p]! -= h;
    const fd = ((await scalar(model, plus, frozen)) - (await scalar(model, minus, frozen))) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - g.data[p]!) / scale);
  }
  measured.push(`${JSON.stringify(spec, (k, v) => (k === 'reference' || k === 'mask' ? '…' : v))}: max |FD − gradient| / max|gradient| = ${worst.toExponential(2)}`);
  return worst;
}

test('segmentation target on tiny_segnet, a category and an input not in the references: gradient = finite differences of Σ logits[c]·mask', async () => {
  const model = await loadModel('conformance/models/tiny_segnet.onnx');
  const x = image(3, [1, 3, 64, 64]);
  const { values } = await forwardTarget(model, x);
  // a category that wins somewhere on this input, other than the references' category 1
  const wins = new Array<number>(6).fill(0);
  const hw = 64 * 64;
  for (let p = 0; p < hw; p++) {
    let best = 0;
    for (let k = 1; k < 6; k++) if (values.data[k * hw + p]! > values.data[best * hw + p]!) best = k;
    wins[best]!++;
  }
  const category = wins.findIndex((n, k) => k !== 1 && n > 0);
  assert.ok(category >= 0, `some category other than 1 wins a pixel (${wins.join(',')})`);
  // "where it wins": the scalar equals Σ over the winning pixels, computed here directly
  const resolved = await resolveBatchTargets(model, x, { kind: 'segmentation', category });
  let direct = 0;
  for (let p = 0; p < hw; p++) {
    let best = 0;
    for (let k = 1; k < 6; k++) if (values.data[k * hw + p]! > values.data[best * hw + p]!) best = k;
    if (best === category) direct += values.data[category * hw + p]!;
  }
  const s = targetScores(values, resolved)[0]!;
  assert.ok(Math.abs(s - direct) < 1e-3 * Math.max(1, Math.abs(direct)), `scalar ${s} vs ${direct}`);
  const err = await gradientVsFiniteDifferences(model, x, { kind: 'segmentation', category, box: { x0: 8, y0: 16, x1: 40, y1: 48 } });
  assert.ok(err < 1e-3, `segmentation box: gradient vs finite differences ${err}`);
  // completeness of Integrated Gradients: its gradients and its scores are of the same scalar
  const ig = await getMethod('integrated-gradients').explain(model, x, { target: { kind: 'segmentation', category }, steps: 32 });
  const delta = (ig.extras.convergenceDelta as number[])[0]!;
  const scores = ig.extras.scores as number[];
  assert.ok(Math.abs(delta) < 0.02 * Math.abs(scores[0]!) + 0.05, `IG convergence delta ${delta} (score ${scores[0]})`);
  await model.dispose();
});

test('regression output and another output of a multi-output model (--output name, out:<index>)', async () => {
  const model = multiHeadModel();
  const x = image(1);
  const spec = parseTargetSpec('out:1', 'reg');
  assert.deepEqual(spec, { kind: 'index', index: 1, tensor: 'reg' });
  const { values } = await forwardTarget(model, x, 'reg');
  assert.ok(Math.abs((await scalar(model, x, spec)) - values.data[1]!) < 1e-6);
  assert.ok((await gradientVsFiniteDifferences(model, x, spec)) < 1e-3);
  // a class-style target on another output: 'emb' has 8 entries, class 5 is its 6th
  const e = await forwardTarget(model, x, 'emb');
  assert.ok(Math.abs((await scalar(model, x, { class: 5, tensor: 'emb' })) - e.values.data[5]!) < 1e-6);
  // Grad-CAM (a CAM method) and occlusion (a perturbation method) accept the same target
  const cam = await getMethod('gradcam').explain(model, x, { target: spec, layer: model.graph.nodes.find((n) => n.opType === 'Tanh')!.output[0]! });
  assert.deepEqual(cam.attribution.dims, [1, 1, 8, 8]);
  const occ = await getMethod('occlusion').explain(model, x, { target: spec, slidingWindowShapes: [3, 2, 2], strides: [3, 2, 2] });
  assert.deepEqual(occ.targets, [1]);
  await model.dispose();
});

test('detection targets on raw YOLO-style heads: pick by index or by box IoU, class score (× objectness)', async () => {
  const model = multiHeadModel();
  const x = image(2);
  const det = (await forwardTarget(model, x, 'det')).values;
  const head = detectionHead(det.dims);
  assert.equal(head.layout, 'channels');
  assert.equal(head.anchors, 64);
  assert.equal(head.classes, 3);
  // index 17, class 2: the scalar is det[0, 4 + 2, 17]
  const byIndex: TargetSpec = { kind: 'detection', index: 17, class: 2, tensor: 'det' };
  assert.ok(Math.abs((await scalar(model, x, byIndex)) - det.data[(4 + 2) * 64 + 17]!) < 1e-6);
  assert.ok((await gradientVsFiniteDifferences(model, x, byIndex)) < 1e-3);
  // by box: the candidate whose box has the best IoU with the rectangle, its best class
  const rows = (await forwardTarget(model, x, 'rows')).values;
  const rh = detectionHead(rows.dims);
  assert.equal(rh.layout, 'rows');
  const objSpec: TargetSpec = { kind: 'detection', index: 5, class: 1, objectness: true, tensor: 'rows' };
  const expected = rows.data[5 * 8 + 5 + 1]! * rows.data[5 * 8 + 4]!;
  assert.ok(Math.abs((await scalar(model, x, objSpec)) - expected) < 1e-6, 'class score × objectness');
  assert.ok((await gradientVsFiniteDifferences(model, x, objSpec)) < 1e-3, 'objectness target: gradient vs finite differences');
  // box pick: the tanh boxes are small (|cx|,|cy|,|w|,|h| < 1); a rectangle around the origin picks a candidate
  const boxSpec: TargetSpec = { kind: 'detection', box: { x0: 0, y0: 0, x1: 1, y1: 1 }, tensor: 'det' };
  const resolved = await resolveBatchTargets(model, x, boxSpec);
  assert.equal(resolved.seed.data.filter((v) => v !== 0).length, 1);
  // NMS keeps at most one box per class where boxes overlap, sorted by score
  const kept = nonMaxSuppression(det.data, head, -Infinity, 0.5);
  for (let i = 1; i < kept.length; i++) assert.ok(kept[i - 1]!.score >= kept[i]!.score);
  // EigenCAM needs no gradient and runs on the detector
  const eigen = await getMethod('eigencam').explain(model, x, { target: byIndex, layer: model.graph.nodes.find((n) => n.opType === 'Tanh')!.output[0]! });
  assert.deepEqual(eigen.attribution.dims, [1, 1, 8, 8]);
  await model.dispose();
});

test('embedding similarity: cosine to a reference image embedding; gradient = finite differences; metrics score it', async () => {
  const model = multiHeadModel();
  const x = image(4);
  const reference = image(5);
  const spec: TargetSpec = { kind: 'embedding', reference, tensor: 'emb' };
  const a = (await forwardTarget(model, x, 'emb')).values.data;
  const b = (await forwardTarget(model, reference, 'emb')).values.data;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  const cosine = dot / Math.sqrt(na * nb);
  assert.ok(Math.abs((await scalar(model, x, spec)) - cosine) < 1e-6, 'scalar = cosine similarity');
  assert.ok(Math.abs((await scalar(model, reference, spec)) - 1) < 1e-6, 'the reference is similar to itself');
  assert.ok((await gradientVsFiniteDifferences(model, x, spec)) < 1e-3);
  // a metric on the same target: deletion's first point is the unperturbed scalar
  const ev = await evaluate(model, x, { method: 'saliency', target: spec, metrics: ['deletion'], metricOptions: { deletion: { pixelsPerStep: 16 } } });
  const curve = (ev.results[0]!.details[0]! as { curve: number[] }).curve;
  assert.ok(Math.abs(curve[0]! - cosine) < 1e-5, `deletion starts at the cosine ${cosine}, got ${curve[0]}`);
  await model.dispose();
});

test('bad targets: one clear error each', async () => {
  const seg = await loadModel('conformance/models/tiny_segnet.onnx');
  const x = image(6, [1, 3, 64, 64]);
  await assert.rejects(resolveBatchTargets(seg, x, { kind: 'segmentation', category: 1, mask: new Float32Array(10) }), isLumen('TARGET_RANGE', /mask has 10 values.*64×64/));
  await assert.rejects(resolveBatchTargets(seg, x, { kind: 'segmentation', category: 6 }), isLumen('TARGET_RANGE', /category 6 is out of range.*6 categories/));
  await assert.rejects(resolveBatchTargets(seg, x, { kind: 'segmentation', category: 1, box: { x0: 10, y0: 10, x1: 70, y1: 20 } }), isLumen('TARGET_RANGE', /box 10,10,70,20 is not .* inside the 64×64 image/));
  await assert.rejects(resolveBatchTargets(seg, x, 3), isLumen('TARGET_RANGE', /class targets explain a \[N, K\] output/));
  await seg.dispose();
  const model = multiHeadModel();
  const y = image(7);
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'detection', index: 64, tensor: 'det' }), isLumen('TARGET_RANGE', /detection index 64 is out of range: the head has 64 candidates/));
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'detection', box: { x0: -1, y0: 0, x1: 4, y1: 4 }, tensor: 'det' }), isLumen('TARGET_RANGE', /detection box -1,0,4,4 is not .* inside the 8×8 image/));
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'detection', index: 0, objectness: true, tensor: 'det' }), isLumen('TARGET_RANGE', /objectness needs a \[B, N, 5\+K\] head/));
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'index', index: 0, tensor: 'nope' }), isLumen('UNKNOWN_LAYER', /unknown output 'nope': the model's outputs are reg, det, rows, emb/));
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'embedding', reference: image(8, [1, 3, 16, 16]), tensor: 'emb' }), isLumen('INPUT_SHAPE', /embedding reference image of shape \[1, 3, 16, 16\] does not match/));
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'embedding', reference: new Float32Array(5), tensor: 'emb' }), isLumen('INPUT_SHAPE', /embedding reference has 5 values; the model's embedding 'emb' has 8/));
  await assert.rejects(resolveBatchTargets(model, y, { kind: 'index', index: 2, tensor: 'reg' }), isLumen('TARGET_RANGE', /output index 2 is out of range.*2 values per image/));
  assert.throws(() => parseTargetSpec('seg:x'), isLumen('BAD_OPTION', /category must be a non-negative integer/));
  assert.throws(() => parseTargetSpec('det:box=1,2,3'), isLumen('BAD_OPTION', /box must be x0,y0,x1,y1/));
  assert.throws(() => parseTargetSpec('seg:1:mask=m.png'), isLumen('BAD_OPTION', /files can only be named from the command line/));
  await model.dispose();
});
