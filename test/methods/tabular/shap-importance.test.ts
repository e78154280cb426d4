/**
 * Shapley values: KernelSHAP with every coalition equals the exact Shapley formula; on a linear model both equal
 * w_j·(x_j − mean of the background's x_j); sampled KernelSHAP stays close and keeps Σφ = f(x) − base exactly.
 * Permutation importance ranks the informative features of a synthetic dataset first.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { mulberry32 } from '../../../src/random.js';
import { datasetFromRows } from '../../../src/tabular/dataset.js';
import { TabularModel } from '../../../src/methods/tabular/model.js';
import { shapValues } from '../../../src/methods/tabular/shap.js';
import { permutationImportance } from '../../../src/methods/tabular/importance.js';
import { add, featureModel, linear, maxAbsDiff, mul, scale } from './helpers.js';

const r = mulberry32(11);
const N = 120;
const F = 5;
const rows = Array.from({ length: N }, () => Array.from({ length: F }, () => Math.round((r() * 4 - 2) * 256) / 256));
const names = ['a', 'b', 'c', 'd', 'e'];

test('Shapley values of a linear model: w_j · (x_j − background mean), exact and KernelSHAP', async () => {
  const w = [1.5, -2, 0.25, 0, 3];
  const model = featureModel(F, (g) => linear(g, F, w, 0.5));
  const tm = await TabularModel.create(model, datasetFromRows(names, rows));
  const background = Array.from({ length: 30 }, (_, i) => i * 4);
  const exact = await shapValues(tm, { rows: [1, 2], background, algorithm: 'exact' });
  const kernel = await shapValues(tm, { rows: [1, 2], background, algorithm: 'kernel' });
  for (const [k, row] of [1, 2].entries()) {
    const want = w.map((wj, j) => wj * (rows[row]![j]! - background.reduce((a, b) => a + rows[b]![j]!, 0) / background.length));
    assert.ok(maxAbsDiff(exact.values.subarray(k * F, (k + 1) * F), want) < 1e-5, 'exact');
    assert.ok(maxAbsDiff(kernel.values.subarray(k * F, (k + 1) * F), want) < 1e-5, 'kernel');
  }
  assert.equal(exact.coalitions, 32);
  await model.dispose();
});

test('KernelSHAP over all coalitions equals exact Shapley values on a model with interactions; sampled KernelSHAP is close and efficient', async () => {
  // f = a·b + 2·c² − d·e·a + tanh(e), probability-free raw output
  const model = featureModel(F, (g, col) => {
    const ab = mul(g, col(0), col(1));
    const cc = scale(g, mul(g, col(2), col(2)), 2);
    const dea = scale(g, mul(g, mul(g, col(3), col(4)), col(0)), -1);
    return add(g, ab, cc, dea, g.op('Tanh', [col(4)]));
  });
  const tm = await TabularModel.create(model, datasetFromRows(names, rows));
  const opts = { rows: [0, 5, 9], background: 40, seed: 3 };
  const exact = await shapValues(tm, { ...opts, algorithm: 'exact' });
  const kernel = await shapValues(tm, { ...opts, algorithm: 'kernel', numSamples: 1000 });
  assert.equal(kernel.coalitions, 2 ** F); // 2^F − 2 sampled + the empty and full coalitions
  assert.deepEqual(kernel.backgroundRows, exact.backgroundRows);
  const d = maxAbsDiff(kernel.values, exact.values);
  assert.ok(d < 1e-5, `kernel vs exact: ${d}`);
  const scaleOf = Math.max(...Array.from(exact.values, Math.abs));
  assert.ok(scaleOf > 0.5, 'values are not all ~0');
  // efficiency: Σφ = f(x) − base for every row, for both
  for (const res of [exact, kernel]) {
    for (let k = 0; k < 3; k++) {
      const sum = res.values.subarray(k * F, (k + 1) * F).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - (res.fx[k]! - res.baseValue)) < 1e-5);
    }
  }
  // fewer coalitions than 2^F − 2: an estimate, still summing to f(x) − base exactly
  const sampled = await shapValues(tm, { ...opts, algorithm: 'kernel', numSamples: 16 });
  for (let k = 0; k < 3; k++) {
    const sum = sampled.values.subarray(k * F, (k + 1) * F).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - (sampled.fx[k]! - sampled.baseValue)) < 1e-5);
  }
  const ds = maxAbsDiff(sampled.values, exact.values) / scaleOf;
  assert.ok(ds < 0.5, `sampled KernelSHAP is far from exact: ${ds}`);
  await model.dispose();
});

test('permutation importance ranks the informative features first (regression r2 and classification accuracy)', async () => {
  // y = 3·a − 2·b + 0.5·c (+ noise in the labels); d, e carry nothing
  const noise = mulberry32(5);
  const y = rows.map((row) => 3 * row[0]! - 2 * row[1]! + 0.5 * row[2]! + 0.1 * (noise() - 0.5));
  const ds = datasetFromRows(names, rows, { target: y, targetName: 'y' });
  const model = featureModel(F, (g) => linear(g, F, [3, -2, 0.5, 0, 0]));
  const tm = await TabularModel.create(model, ds);
  const res = await permutationImportance(tm, { repeats: 4, seed: 1 });
  assert.equal(res.metric, 'r2');
  assert.ok(res.baseline > 0.99);
  const order = [...res.mean.keys()].sort((i, j) => res.mean[j]! - res.mean[i]!);
  assert.deepEqual(order.slice(0, 3), [0, 1, 2]);
  assert.equal(res.mean[3], 0);
  assert.equal(res.mean[4], 0);
  assert.ok(res.std[0]! > 0 && res.std[0]! < res.mean[0]!);
  await model.dispose();

  // classifier: logits [0, 2a + b] → class 1 when 2a + b > 0
  const labels = rows.map((row) => (2 * row[0]! + row[1]! > 0 ? 1 : 0));
  const cds = datasetFromRows(names, rows, { target: labels, targetName: 'label' });
  const clf = featureModel(F, (g) => {
    const z = linear(g, F, [2, 1, 0, 0, 0]);
    return g.op('Concat', [g.op('Sub', [z, z]), z], { axis: { i: 1 } });
  });
  const ctm = await TabularModel.create(clf, cds);
  assert.equal(ctm.output, 'probability');
  const cres = await permutationImportance(ctm, { repeats: 3 });
  assert.equal(cres.metric, 'accuracy');
  assert.equal(cres.baseline, 1);
  const corder = [...cres.mean.keys()].sort((i, j) => cres.mean[j]! - cres.mean[i]!);
  assert.deepEqual(corder.slice(0, 2), [0, 1]);
  assert.ok(cres.mean[0]! > 0.2);
  for (const j of [2, 3, 4]) assert.equal(cres.mean[j], 0);
  await clf.dispose();
});

test('Shapley values of a product a·b: φ_a = ½(x_a·E[b] − E[ab]) + ½(x_a·x_b − x_b·E[a]) over the background', async () => {
  const model = featureModel(F, (g, col) => mul(g, col(0), col(1)));
  const tm = await TabularModel.create(model, datasetFromRows(names, rows));
  const background = Array.from({ length: 25 }, (_, i) => 3 + i * 4);
  const E = (f: (r: number[]) => number): number => background.reduce((s, b) => s + f(rows[b]!), 0) / background.length;
  const [Ea, Eb, Eab] = [E((r) => r[0]!), E((r) => r[1]!), E((r) => r[0]! * r[1]!)];
  for (const algorithm of ['exact', 'kernel'] as const) {
    const res = await shapValues(tm, { rows: [7], background, algorithm });
    const [xa, xb] = rows[7]!;
    const phiA = 0.5 * (xa! * Eb - Eab) + 0.5 * (xa! * xb! - xb! * Ea);
    const phiB = 0.5 * (xb! * Ea - Eab) + 0.5 * (xa! * xb! - xa! * Eb);
    assert.ok(maxAbsDiff(res.values, [phiA, phiB, 0, 0, 0]) < 1e-5, `${algorithm}: ${Array.from(res.values).join(', ')}`);
    assert.ok(Math.abs(res.baseValue - Eab) < 1e-5);
  }
  await model.dispose();
});
