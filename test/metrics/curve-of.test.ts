/** curveOf: the one typed read of a curve metric's details (CLI curves, the HTML report and the web app's chart). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { curveOf, CURVE_METRICS } from '../../src/metrics/curve.js';
import { detailsOf, evaluate, getMetric } from '../../src/metrics/index.js';
import { loadModel } from '../../src/node/load.js';
import { Tensor } from '../../src/tensor.js';

test('curveOf reads deletion/insertion/pixel-flipping details through detailsOf and nothing else', async (t) => {
  const model = await loadModel('models/fashion-cnn.onnx');
  t.after(() => model.dispose());
  const x = new Tensor(Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => Math.sin(i)), [2, 1, 28, 28]);
  const attribution = new Tensor(Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => (i * 37) % 101), [2, 1, 28, 28]);
  const explanation = { method: 'given', attribution, targets: [0, 3], extras: {}, timings: { compileMs: 0, runMs: 0 } };
  const { results } = await evaluate(model, x, { explanation, metrics: ['deletion', 'sparseness'], metricOptions: { deletion: { pixelsPerStep: 98 } } });
  const [deletion, sparseness] = results;
  for (const i of [0, 1]) {
    const curve = curveOf(deletion!, i)!;
    assert.equal(curve, detailsOf(deletion!, 'deletion')[i]);
    assert.deepEqual([curve.fractions.length, curve.fractions[0], curve.fractions.at(-1)], [9, 0, 1]); // 784 / 98 = 8 steps
    assert.equal(curve.curve.length, 9);
  }
  assert.equal(curveOf(sparseness!, 0), undefined);
  // every id listed is a registered metric
  for (const id of CURVE_METRICS) assert.equal(getMetric(id).info.id, id);
});
