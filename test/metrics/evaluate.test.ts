import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/metrics/index.js';
import { LumenError } from '../../src/errors.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { Tensor } from '../../src/tensor.js';
import { contributionsExplainer, explanation, fixtureNumbers, linearModel } from './helpers.js';

const C = 3, H = 5, W = 4, P = H * W;
const weights = [fixtureNumbers(C * P, 31, 0.3), new Array<number>(C * P).fill(0)];
const nchw = linearModel(C, H, W, weights, [0.2, 0]);
const x = new Tensor(Float32Array.from(fixtureNumbers(C * P, 32)), [1, C, H, W]);
const attribution = new Tensor(Float32Array.from(fixtureNumbers(C * P, 33)), [1, C, H, W]);
const METRICS = ['deletion', 'insertion', 'road', 'avg-drop', 'pixel-flipping', 'faithfulness-correlation', 'infidelity', 'sparseness'];

test('an NHWC model file gives the same scores as the same model in NCHW (same NCHW input)', async () => {
  const nhwc = linearModel(C, H, W, weights, [0.2, 0], 'NHWC');
  assert.equal(nhwc.fileLayout, 'NHWC');
  const a = await evaluate(nchw, x, { explanation: explanation(attribution, [0]), metrics: METRICS, seed: 4 });
  const b = await evaluate(nhwc, x, { explanation: explanation(attribution, [0]), metrics: METRICS, seed: 4 });
  a.results.forEach((r, i) => assert.ok(Math.abs(r.value - b.results[i]!.value) < 1e-5, `${r.metric}: ${r.value} vs ${b.results[i]!.value}`));
  assert.ok(a.results.every((r) => Number.isFinite(r.value)));
});

test('a batch of two images scores each image; the mean is over images', async () => {
  const x2 = Tensor.concat([x, new Tensor(x.data.map((v) => -v), x.dims)]);
  const explainer = contributionsExplainer(C, H, W, weights);
  const batch = await evaluate(nchw, x2, { explainer, target: 0, metrics: ['deletion', 'insertion'] });
  const single = await evaluate(nchw, x2.item(1).clone(), { explainer, target: 0, metrics: ['deletion', 'insertion'] });
  for (const [i, r] of batch.results.entries()) {
    assert.equal(r.values.length, 2);
    assert.ok(Math.abs(r.values[1]! - single.results[i]!.value) < 1e-9);
    assert.ok(Math.abs(r.value - (r.values[0]! + r.values[1]!) / 2) < 1e-12);
  }
  assert.deepEqual(batch.targets, [0, 0]);
});

test('progress reaches its total and an aborted signal cancels', async () => {
  const seen: number[] = [];
  await evaluate(nchw, x, { explanation: explanation(attribution, [0]), metrics: ['deletion'], batchSize: 4, metricOptions: { deletion: { pixelsPerStep: 2 } }, onProgress: (e) => seen.push(e.done / e.total) });
  assert.equal(seen.length, 3); // 11 curve points in batches of 4
  assert.equal(seen[seen.length - 1], 1);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    evaluate(nchw, x, { explanation: explanation(attribution, [0]), metrics: ['deletion'], signal: controller.signal }),
    (e: unknown) => e instanceof LumenError && e.code === 'CANCELLED',
  );
});

test('bad options are usage errors', async () => {
  await assert.rejects(
    evaluate(nchw, x, { explanation: explanation(attribution, [0]), metrics: ['deletion'], metricOptions: { deletion: { pixelsPerStep: 0 } } }),
    (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /pixelsPerStep/.test(e.message),
  );
  await assert.rejects(
    evaluate(nchw, x, { explanation: explanation(attribution, [-1]), metrics: ['deletion'] }),
    /weighted combination/,
  );
  await assert.rejects(evaluate(nchw, x, { metrics: ['deletion'] }), /needs a method, an explainer or a precomputed explanation/);
});

test('formatEvaluation prints one aligned row per metric with per-image values', async () => {
  const { formatEvaluation, formatMetricList, listMetrics } = await import('../../src/metrics/index.js');
  const x2 = Tensor.concat([x, x]);
  const ev = await evaluate(nchw, x2, { explanation: explanation(Tensor.concat([attribution, attribution]), [0, 0]), metrics: ['sparseness', 'complexity'] });
  const lines = formatEvaluation(ev, 3).split('\n');
  assert.equal(lines.length, 3);
  const sparse = ev.results[0]!.value.toFixed(3);
  assert.match(lines[1]!, new RegExp(`^sparseness\\s+${sparse}\\s+higher\\s+${sparse} ${sparse}\\s+\\d+ ms$`));
  assert.match(lines[2]!, /^complexity\s+\d\.\d{3}\s+lower /);
  assert.equal(formatMetricList(listMetrics()).split('\n').length, 1 + listMetrics().length);
});

test('CLI-style metric options and boxes are parsed by the declared option types', async () => {
  const { parseMetricOptions, parseBoxes } = await import('../../src/metrics/index.js');
  assert.deepEqual(parseMetricOptions(['deletion.pixels-per-step=8', 'deletion.baseline=mean', 'road.noise=0', 'road.percentiles=20,80']), {
    deletion: { pixelsPerStep: 8, baseline: 'mean' },
    road: { noise: 0, percentiles: '20,80' },
  });
  assert.throws(() => parseMetricOptions(['deletion.pixelsPerStep=2.5']), /deletion\.pixelsPerStep must be an integer, got '2\.5'/);
  assert.throws(() => parseMetricOptions(['deletion.baseline=blue']), /zero, mean/);
  assert.throws(() => parseMetricOptions(['deletion.steps=3']), /no option 'steps'.*pixelsPerStep/);
  assert.throws(() => parseMetricOptions(['sparseness.x=1']), /takes no options/);
  assert.throws(() => parseMetricOptions(['nope.x=1']), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_METRIC');
  assert.deepEqual(parseBoxes('4,2,20,26; 30,30,40,40'), { boxes: [{ x0: 4, y0: 2, x1: 20, y1: 26 }, { x0: 30, y0: 30, x1: 40, y1: 40 }] });
  assert.throws(() => parseBoxes('4,2,3,26'), /x1 > x0/);
  // parsed ROAD percentiles are honoured
  const ev = await evaluate(nchw, x, { explanation: explanation(attribution, [0]), metrics: ['road'], metricOptions: parseMetricOptions(['road.percentiles=20,80']) });
  assert.deepEqual((ev.results[0]!.details[0]!['percentiles'] as number[]), [20, 80]);
});
