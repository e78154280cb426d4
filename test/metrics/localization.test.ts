import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/metrics/index.js';
import { LumenError } from '../../src/errors.js';
import { evaluate, type EvaluateOptions } from '../../src/metrics/evaluate.js';
import { getMetric, listMetrics } from '../../src/metrics/registry.js';
import { Tensor } from '../../src/tensor.js';
import { explanation, linearModel } from './helpers.js';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

// 4×4 map (row-major); region = box x 0..2, y 0..2 (the top-left 2×2 block: pixels 0, 1, 4, 5)
const MAP = [
  4, 1, 0, 0,
  2, -1, 0, 0,
  0, 0, 3, 0,
  0, 0, 0, -2,
];
const model = linearModel(1, 4, 4, [new Array<number>(16).fill(0.1), new Array<number>(16).fill(0)], [0, 0]);
const x = new Tensor(new Float32Array(16).fill(1), [1, 1, 4, 4]);
const box = { boxes: [{ x0: 0, y0: 0, x1: 2, y1: 2 }] };

async function score(metrics: string[], map = MAP, region: EvaluateOptions['regions'] = box, metricOptions = {}) {
  const { results } = await evaluate(model, x, { explanation: explanation(new Tensor(Float32Array.from(map), [1, 1, 4, 4]), [0]), metrics, regions: region, metricOptions });
  return Object.fromEntries(results.map((r) => [r.metric, r.value]));
}

test('pointing game: max inside the box is a hit; tolerance reaches a nearby box', async () => {
  assert.equal((await score(['pointing-game']))['pointing-game'], 1);
  const moved = MAP.map((v, i) => (i === 10 ? 9 : v)); // max at (x 2, y 2)
  assert.equal((await score(['pointing-game'], moved))['pointing-game'], 0);
  assert.equal((await score(['pointing-game'], moved, box, { 'pointing-game': { tolerance: 1.5 } }))['pointing-game'], 1); // √2 from (1,1)
  assert.equal((await score(['pointing-game'], moved, box, { 'pointing-game': { tolerance: 1.4 } }))['pointing-game'], 0);
});

test('energy pointing game, relevance mass and relevance rank by hand', async () => {
  const s = await score(['energy-pointing-game', 'relevance-mass', 'relevance-rank']);
  // positive values: inside 4 + 1 + 2 = 7, total 7 + 3 = 10
  close(s['energy-pointing-game']!, 0.7);
  close(s['relevance-mass']!, 0.7);
  // K = 4: top-4 pixels 4 (in), 3 (out), 2 (in), 1 (in) → 3/4
  close(s['relevance-rank']!, 0.75);
  // a binary mask works like the box
  const mask = new Array<number>(16).fill(0);
  [0, 1, 4, 5].forEach((p) => (mask[p] = 1));
  const m = await score(['relevance-mass'], MAP, { mask });
  close(m['relevance-mass']!, 0.7);
});

test('input-shaped attributions: energy uses Σ|a|, relevance mass uses the signed sum', async () => {
  const model3 = linearModel(2, 1, 2, [[1, 1, 1, 1], [0, 0, 0, 0]], [0, 0]);
  const x3 = new Tensor(Float32Array.of(1, 1, 1, 1), [1, 2, 1, 2]);
  // channel 0: [3, 1], channel 1: [−3, 1] → Σ|a| = [6, 2], Σa = [0, 2]
  const attr = explanation(new Tensor(Float32Array.of(3, 1, -3, 1), [1, 2, 1, 2]), [0]);
  const { results } = await evaluate(model3, x3, { explanation: attr, metrics: ['energy-pointing-game', 'relevance-mass'], regions: { mask: [1, 0] } });
  close(results[0]!.value, 6 / 8);
  close(results[1]!.value, 0);
});

test('sparseness (Gini) and complexity (entropy) of known maps', async () => {
  const s = await score(['sparseness', 'complexity'], [...new Array<number>(15).fill(0), 5]);
  close(s['sparseness']!, 15 / 16);
  close(s['complexity']!, 0);
  const u = await score(['sparseness', 'complexity'], new Array<number>(16).fill(-2));
  close(u['sparseness']!, 0);
  close(u['complexity']!, Math.log(16));
});

test('localization without regions is a usage error', async () => {
  await assert.rejects(evaluate(model, x, { explanation: explanation(new Tensor(Float32Array.from(MAP), [1, 1, 4, 4]), [0]), metrics: ['pointing-game'] }), (e: unknown) => e instanceof LumenError && /regions/.test(e.message));
});

test('registry: 20 metrics with metadata, unknown ids list the available ones', () => {
  const ids = listMetrics().map((m) => m.id).sort();
  assert.deepEqual(ids, [
    'avg-drop', 'avg-sensitivity', 'class-discrimination', 'complexity', 'deletion', 'energy-pointing-game', 'faithfulness-correlation', 'increase-in-confidence',
    'infidelity', 'insertion', 'lipschitz', 'max-sensitivity', 'pixel-flipping', 'pointing-game', 'random-logit', 'randomization',
    'relevance-mass', 'relevance-rank', 'road', 'sparseness',
  ].sort());
  assert.equal(getMetric('Max_Sensitivity').info.id, 'max-sensitivity');
  assert.throws(() => getMetric('delet'), (e: unknown) => e instanceof LumenError && e.code === 'UNKNOWN_METRIC' && /deletion/.test(e.message) && /insertion/.test(e.message));
  for (const m of listMetrics()) assert.ok(m.source.length > 10 && m.passes.length > 3 && m.summary.length > 10, m.id);
});
