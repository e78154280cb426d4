/**
 * Lumen's PDP/ICE on an MLP trained on scikit-learn's breast-cancer data (scripts/train_tabular.py) against
 * sklearn.inspection.partial_dependence(method='brute') on the same network: same grids, P(benign), ≤ 1e-5.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { loadModel } from '../../../src/node/load.js';
import { parseDataset } from '../../../src/tabular/dataset.js';
import { TabularModel } from '../../../src/methods/tabular/model.js';
import { partialDependence } from '../../../src/methods/tabular/pdp.js';
import { maxAbsDiff } from './helpers.js';

const DIR = 'test/fixtures/tabular';

interface Ref {
  grid_resolution: number;
  one_d: { feature: string; grid: number[]; average: number[]; individual: number[][] }[];
  two_d: { features: [string, string]; grid_resolution: number; grid: [number[], number[]]; average: number[][] };
}

test('PDP and ICE equal scikit-learn partial_dependence (brute) on the breast-cancer MLP', async () => {
  const ref = JSON.parse(readFileSync(`${DIR}/breast_cancer_pdp_ref.json`, 'utf8')) as Ref;
  const ds = parseDataset(readFileSync(`${DIR}/breast_cancer.csv`, 'utf8'), { targetColumn: 'target', source: 'breast_cancer.csv' });
  assert.equal(ds.columns.length, 30);
  assert.equal(ds.rows, 569);
  const model = await loadModel(`${DIR}/breast_cancer_mlp.onnx`, { session: { threads: 1 } });
  assert.equal(model.inputKind, 'features');
  const tm = await TabularModel.create(model, ds);
  assert.equal(tm.output, 'probability');
  assert.equal(tm.target, 1);
  assert.equal(tm.responseLabel, 'P(benign)');
  try {
    for (const r of ref.one_d) {
      // Lumen's own grid (sklearn's rule: mquantiles percentiles, linspace) is sklearn's
      const pdp = await partialDependence(tm, [r.feature], { resolution: ref.grid_resolution });
      assert.ok(maxAbsDiff(pdp.grid[0]!, r.grid) < 1e-9, `${r.feature}: grid`);
      const avg = maxAbsDiff(pdp.average, r.average);
      assert.ok(avg <= 1e-5, `${r.feature}: PDP differs by ${avg}`);
      const g = r.grid.length;
      const ice = maxAbsDiff(pdp.individual.subarray(0, r.individual.length * g), r.individual.flat());
      assert.ok(ice <= 1e-5, `${r.feature}: ICE differs by ${ice}`);
      // the curve is not flat (the comparison would be vacuous otherwise)
      assert.ok(Math.max(...r.average) - Math.min(...r.average) > 0.02);
    }
    const two = ref.two_d;
    const pdp2 = await partialDependence(tm, two.features, { resolution: two.grid_resolution });
    assert.ok(maxAbsDiff(pdp2.grid[0]!, two.grid[0]) < 1e-9 && maxAbsDiff(pdp2.grid[1]!, two.grid[1]) < 1e-9, '2-D grid');
    const d2 = maxAbsDiff(pdp2.average, two.average.flat());
    assert.ok(d2 <= 1e-5, `2-D PDP differs by ${d2}`);
  } finally {
    await model.dispose();
  }
});
