/**
 * PDP, ICE and ALE against closed forms on models built in ONNX here: a linear model, an additive one, the product
 * x1·x2 (where PDP and ALE differ on correlated data, as Apley & Zhu describe) and a model that equals x1 + x2 on
 * the data line x2 = x1 but curves off it (the PDP extrapolates there, the ALE does not).
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { mulberry32 } from '../../../src/random.js';
import { datasetFromRows } from '../../../src/tabular/dataset.js';
import { TabularModel } from '../../../src/methods/tabular/model.js';
import { partialDependence } from '../../../src/methods/tabular/pdp.js';
import { accumulatedLocalEffects } from '../../../src/methods/tabular/ale.js';
import { aleBins, featureGrid } from '../../../src/methods/tabular/grid.js';
import { add, featureModel, linear, maxAbsDiff, mul, scale } from './helpers.js';

/** Values on a 1/1024 lattice (exact in float32, so the model sees the same numbers as the closed forms). */
function lattice(r: () => number, lo: number, hi: number): number {
  return Math.round((lo + (hi - lo) * r()) * 1024) / 1024;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

const r = mulberry32(7);
const N = 200;
const independent = Array.from({ length: N }, () => [lattice(r, -1, 1), lattice(r, 0, 2), lattice(r, -2, 2)]);
const names = ['x1', 'x2', 'x3'];
const colOf = (rows: number[][], j: number): number[] => rows.map((row) => row[j]!);

test('PDP and ICE of a linear model: f = 2·x1 − 3·x2 + 0.5·x3 + 1', async () => {
  const ds = datasetFromRows(names, independent);
  const model = featureModel(3, (g) => linear(g, 3, [2, -3, 0.5], 1));
  const tm = await TabularModel.create(model, ds);
  assert.equal(tm.output, 'raw');
  const pdp = await partialDependence(tm, ['x1'], { resolution: 11 });
  assert.equal(pdp.grid[0]!.length, 11);
  const rest = -3 * mean(colOf(independent, 1)) + 0.5 * mean(colOf(independent, 2)) + 1;
  assert.ok(maxAbsDiff(pdp.average, pdp.grid[0]!.map((v) => 2 * v + rest)) < 1e-5);
  // ICE of row i: 2·v + the rest of row i
  const ice = pdp.individual;
  for (const i of [0, 17, N - 1]) {
    const [, x2, x3] = independent[i]!;
    const want = pdp.grid[0]!.map((v) => 2 * v - 3 * x2! + 0.5 * x3! + 1);
    assert.ok(maxAbsDiff(ice.subarray(i * 11, (i + 1) * 11), want) < 1e-5, `ICE row ${i}`);
  }
  // centered ICE: every curve is 2·(v − v0)
  const centered = await partialDependence(tm, ['x1'], { resolution: 11, centered: true });
  const v0 = centered.grid[0]![0]!;
  for (let i = 0; i < N; i++) assert.ok(maxAbsDiff(centered.individual.subarray(i * 11, (i + 1) * 11), centered.grid[0]!.map((v) => 2 * (v - v0))) < 1e-5);
  // ALE of a linear model: slope 2 through the bin edges, centered to mean zero over the data
  const ale = await accumulatedLocalEffects(tm, ['x1'], { bins: 10 });
  const z = ale.edges[0]!;
  assert.ok(maxAbsDiff(ale.uncentered, z.map((v) => 2 * (v - z[0]!))) < 1e-5);
  const { bin } = aleBins(colOf(independent, 0), 10);
  // ALEPlot's centering: each row counted at the mean of its bin's two edge values
  const centre = mean(colOf(independent, 0).map((_, i) => (ale.uncentered[bin[i]!]! + ale.uncentered[bin[i]! + 1]!) / 2));
  assert.ok(maxAbsDiff(ale.values, Array.from(ale.uncentered, (v) => v - centre)) < 1e-9);
  await model.dispose();
});

test('2-D PDP: f = x1·x2 + x3 gives v1·v2 + mean(x3) on the product grid (first feature slowest)', async () => {
  const ds = datasetFromRows(names, independent);
  const model = featureModel(3, (g, col) => add(g, mul(g, col(0), col(1)), col(2)));
  const tm = await TabularModel.create(model, ds);
  const pdp = await partialDependence(tm, ['x1', 'x2'], { resolution: 6 });
  const [g1, g2] = pdp.grid as [number[], number[]];
  assert.equal(pdp.average.length, g1.length * g2.length);
  const m3 = mean(colOf(independent, 2));
  assert.ok(maxAbsDiff(pdp.average, g1.flatMap((a) => g2.map((b) => a * b + m3))) < 1e-5);
  await model.dispose();
});

test('additive model f = x1 + x2² + x3: second-order ALE is zero, first-order ALE of x2 follows z² on the edges', async () => {
  const ds = datasetFromRows(names, independent);
  const model = featureModel(3, (g, col) => add(g, col(0), mul(g, col(1), col(1)), col(2)));
  const tm = await TabularModel.create(model, ds);
  const ale2 = await accumulatedLocalEffects(tm, ['x1', 'x2'], { bins: 8 });
  assert.ok(maxAbsDiff(ale2.values, new Float64Array(ale2.values.length)) < 1e-5, 'no interaction');
  assert.ok(maxAbsDiff(ale2.uncentered, new Float64Array(ale2.values.length)) < 1e-5);
  const ale = await accumulatedLocalEffects(tm, ['x2'], { bins: 8 });
  const z = ale.edges[0]!;
  assert.ok(maxAbsDiff(ale.uncentered, z.map((v) => v * v - z[0]! * z[0]!)) < 1e-5);
  // the PDP of x2 for an additive model is its own term plus a constant
  const pdp = await partialDependence(tm, ['x2'], { resolution: 9 });
  const c = mean(colOf(independent, 0)) + mean(colOf(independent, 2));
  assert.ok(maxAbsDiff(pdp.average, pdp.grid[0]!.map((v) => v * v + c)) < 1e-5);
  await model.dispose();
});

test('second-order ALE of x1·x2: the accumulated second differences are (z1 − z1₀)(z2 − z2₀) on the edge grid', async () => {
  const ds = datasetFromRows(names, independent);
  const model = featureModel(3, (g, col) => add(g, scale(g, mul(g, col(0), col(1)), 3), col(2)));
  const tm = await TabularModel.create(model, ds);
  const ale = await accumulatedLocalEffects(tm, ['x1', 'x2'], { bins: 5 });
  const [z1, z2] = ale.edges as [number[], number[]];
  assert.ok(maxAbsDiff(ale.uncentered, z1.flatMap((a) => z2.map((b) => 3 * (a - z1[0]!) * (b - z2[0]!)))) < 1e-5);
  // what remains after removing main effects is a pure interaction: zero second differences removed nowhere,
  // so the second differences of the result are those of the product
  const W = z2.length;
  for (let k = 1; k < z1.length; k++) {
    for (let m = 1; m < W; m++) {
      const d = ale.values[k * W + m]! - ale.values[(k - 1) * W + m]! - ale.values[k * W + m - 1]! + ale.values[(k - 1) * W + m - 1]!;
      assert.ok(Math.abs(d - 3 * (z1[k]! - z1[k - 1]!) * (z2[m]! - z2[m - 1]!)) < 1e-5);
    }
  }
  // counts cover every row
  assert.equal(ale.counts.reduce((a, b) => a + b, 0), N);
  // no first-order effect is left (ALEPlot's removal): along each axis, the row-weighted mean step across a bin is 0;
  // and the surface is centered (row-weighted mean of the cell corners is 0)
  const [K1, K2] = [z1.length - 1, W - 1];
  const v = (k: number, m: number): number => ale.values[k * W + m]!;
  const count = (k: number, m: number): number => ale.counts[k * K2 + m]!;
  for (let k = 0; k < K1; k++) {
    let s = 0;
    for (let m = 0; m < K2; m++) s += (count(k, m) * (v(k + 1, m) - v(k, m) + v(k + 1, m + 1) - v(k, m + 1))) / 2;
    assert.ok(Math.abs(s) < 1e-9, `first feature, bin ${k}: ${s}`);
  }
  for (let m = 0; m < K2; m++) {
    let s = 0;
    for (let k = 0; k < K1; k++) s += (count(k, m) * (v(k, m + 1) - v(k, m) + v(k + 1, m + 1) - v(k + 1, m))) / 2;
    assert.ok(Math.abs(s) < 1e-9, `second feature, bin ${m}: ${s}`);
  }
  let centre = 0;
  for (let k = 0; k < K1; k++) for (let m = 0; m < K2; m++) centre += (count(k, m) * (v(k, m) + v(k + 1, m) + v(k, m + 1) + v(k + 1, m + 1))) / 4;
  assert.ok(Math.abs(centre / N) < 1e-12);
  await model.dispose();
});

// Correlated data: x2 = x1 (the data lie on a line), x3 independent.
const line = Array.from({ length: N }, (_, i) => {
  const v = Math.round((i / (N - 1)) * 1024) / 1024;
  return [v, v, lattice(r, -1, 1)];
});

test('product x1·x2 on correlated data (x2 = x1): PDP is linear in x1, ALE accumulates the local slope x2 ≈ x1 (Apley & Zhu)', async () => {
  const ds = datasetFromRows(names, line);
  const model = featureModel(3, (g, col) => mul(g, col(0), col(1)));
  const tm = await TabularModel.create(model, ds);
  const pdp = await partialDependence(tm, ['x1'], { resolution: 10 });
  const m2 = mean(colOf(line, 1));
  assert.ok(maxAbsDiff(pdp.average, pdp.grid[0]!.map((v) => v * m2)) < 1e-5, 'PDP = v · E[x2]');
  const ale = await accumulatedLocalEffects(tm, ['x1'], { bins: 10 });
  const z = ale.edges[0]!;
  const { bin, counts } = aleBins(colOf(line, 0), 10);
  // bin k: (z_k − z_{k−1}) · mean of x2 over its rows, accumulated
  const sums = new Array<number>(counts.length).fill(0);
  line.forEach((row, i) => (sums[bin[i]!]! += row[1]!));
  const want = [0];
  for (let k = 0; k < counts.length; k++) want.push(want[k]! + (z[k + 1]! - z[k]!) * (sums[k]! / counts[k]!));
  assert.ok(maxAbsDiff(ale.uncentered, want) < 1e-5);
  // which is close to x²/2 (the slope of f along the data is 2·x, each feature's share x): ALE is curved, PDP straight
  assert.ok(maxAbsDiff(ale.uncentered, z.map((v) => v * v / 2)) < 0.06);
  await model.dispose();
});

test('correlated data: a model equal to x1 + x2 on the data line but 10·(x1 − x2)² off it — the PDP of x1 extrapolates, the ALE does not', async () => {
  const ds = datasetFromRows(names, line);
  const model = featureModel(3, (g, col) => {
    const d = g.op('Sub', [col(0), col(1)]);
    return add(g, col(0), col(1), scale(g, mul(g, d, d), 10));
  });
  const tm = await TabularModel.create(model, ds);
  const pdp = await partialDependence(tm, ['x1'], { resolution: 10 });
  const x2 = colOf(line, 1);
  // PDP(v) = v + E[x2] + 10·E[(v − x2)²]: a parabola the data never show
  assert.ok(maxAbsDiff(pdp.average, pdp.grid[0]!.map((v) => v + mean(x2) + 10 * mean(x2.map((b) => (v - b) ** 2)))) < 1e-4);
  const ale = await accumulatedLocalEffects(tm, ['x1'], { bins: 10 });
  const z = ale.edges[0]!;
  const { bin, counts } = aleBins(colOf(line, 0), 10);
  // closed form per bin: (z_k − z_{k−1}) + 10·((z_k − x)² − (z_{k−1} − x)²), averaged over the bin's rows
  const delta = new Array<number>(counts.length).fill(0);
  line.forEach(([x], i) => {
    const k = bin[i]!;
    delta[k]! += z[k + 1]! - z[k]! + 10 * ((z[k + 1]! - x!) ** 2 - (z[k]! - x!) ** 2);
  });
  const want = [0];
  for (let k = 0; k < counts.length; k++) want.push(want[k]! + delta[k]! / counts[k]!);
  assert.ok(maxAbsDiff(ale.uncentered, want) < 1e-5);
  // ALE stays on the slope-1 line (the effect of x1 along the data); the PDP's curvature is far larger
  const aleDev = maxAbsDiff(ale.uncentered, z.map((v) => v - z[0]!));
  const g = pdp.grid[0]!;
  const pdpDev = maxAbsDiff(Array.from(pdp.average, (v) => v - pdp.average[0]!), g.map((v) => v - g[0]!));
  assert.ok(aleDev < 0.06, `ALE off the slope-1 line by ${aleDev}`);
  assert.ok(pdpDev > 2, `PDP off the slope-1 line by only ${pdpDev}`);
  await model.dispose();
});

test('grids: unique values below the resolution, else sklearn-style uniform grid or quantiles', () => {
  assert.deepEqual(featureGrid([3, 1, 2, 2, 1], { resolution: 10 }), [1, 2, 3]);
  const v = Array.from({ length: 101 }, (_, i) => i);
  const uniform = featureGrid(v, { resolution: 5 });
  // scipy.stats.mstats.mquantiles(arange(101), prob=(0.05, 0.95)) = [4.46, 95.54]
  assert.ok(Math.abs(uniform[0]! - 4.46) < 1e-9 && Math.abs(uniform[4]! - 95.54) < 1e-9, `grid ${uniform.join(', ')}`);
  assert.ok(Math.abs(uniform[1]! - uniform[0]! - (95.54 - 4.46) / 4) < 1e-9);
  assert.deepEqual(featureGrid(v, { kind: 'quantile', resolution: 5, percentiles: [0, 1] }), [0, 25, 50, 75, 100]);
  const bins = aleBins([1, 2, 3, 4, 5, 6, 7, 8], 4);
  assert.deepEqual(bins.edges, [1, 2, 4, 6, 8]);
  assert.deepEqual(bins.counts, [2, 2, 2, 2]);
});

test('runs split at maxBatchRows give the same numbers, with progress up to the planned total', async () => {
  const ds = datasetFromRows(names, independent);
  const model = featureModel(3, (g, col) => add(g, mul(g, col(0), col(1)), col(2)));
  const whole = await partialDependence(await TabularModel.create(model, ds), ['x1', 'x2'], { resolution: 4 });
  const events: { done: number; total: number }[] = [];
  const split = await TabularModel.create(model, ds, { maxBatchRows: 37, onProgress: (e) => events.push(e) });
  const parts = await partialDependence(split, ['x1', 'x2'], { resolution: 4 });
  assert.deepEqual(Array.from(parts.individual), Array.from(whole.individual));
  const last = events[events.length - 1]!;
  assert.equal(last.done, last.total);
  assert.equal(last.total, N * 16);
  assert.ok(events.length > N * 16 / 37);
  await model.dispose();
});
