/**
 * `lumen pdp|ice|ale|importance|shap` on the breast-cancer MLP: the files each writes, their numbers (the PDP CSV
 * against scikit-learn's reference, the others against the API), one report with every plot, and user errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../../src/tabular/csv.js';
import { runCliInProcess } from '../helpers/cli.js';

const MODEL = 'test/fixtures/tabular/breast_cancer_mlp.onnx';
const CSV = 'test/fixtures/tabular/breast_cancer.csv';
let dir: string;

/** The CLI in this process, stderr captured (test/helpers/cli.ts). */
const lumen = (...args: string[]): ReturnType<typeof runCliInProcess> => runCliInProcess([...args, '--threads', '1']);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-tabular-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('pdp, ice, ale, importance and shap write plots, numbers and one report with every plot', async () => {
  const common = [MODEL, CSV, '--target-column', 'target', '--out', dir];
  const pdp = await lumen('pdp', ...common, '--feature', 'mean radius', '--feature', 'mean radius,worst texture', '--resolution', '20');
  assert.equal(pdp.code, 0, pdp.stderr);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.svg')).sort(), ['pdp_mean_radius.svg', 'pdp_mean_radius__worst_texture.svg']);
  // the CLI's PDP numbers are scikit-learn's
  const ref = JSON.parse(readFileSync('test/fixtures/tabular/breast_cancer_pdp_ref.json', 'utf8')) as { one_d: { average: number[]; grid: number[] }[] };
  const rows = parseCsv(readFileSync(join(dir, 'pdp_mean_radius.csv'), 'utf8')).rows;
  assert.equal(rows.length, 20);
  rows.forEach(([v, avg], p) => {
    assert.ok(Math.abs(Number(v) - ref.one_d[0]!.grid[p]!) < 1e-9);
    assert.ok(Math.abs(Number(avg) - ref.one_d[0]!.average[p]!) < 1e-5);
  });
  assert.equal(parseCsv(readFileSync(join(dir, 'pdp_mean_radius__worst_texture.csv'), 'utf8')).rows.length, 20 * 20);

  const ice = await lumen('ice', ...common, '--feature', 'worst texture', '--resolution', '10', '--centered');
  assert.equal(ice.code, 0, ice.stderr);
  const curves = parseCsv(readFileSync(join(dir, 'ice_worst_texture_curves.csv'), 'utf8'));
  assert.equal(curves.rows.length, 569);
  assert.ok(curves.rows.every((r) => Number(r[1]) === 0), 'centered curves start at 0');
  // a pair's curves: every grid point of the product per row (the file held row i's slice at i·g1 before: wrong rows)
  const icePair = await lumen('ice', ...common, '--feature', 'mean radius,worst texture', '--resolution', '3');
  assert.equal(icePair.code, 0, icePair.stderr);
  const pairCurves = parseCsv(readFileSync(join(dir, 'ice_mean_radius__worst_texture_curves.csv'), 'utf8'));
  const pairJson = JSON.parse(readFileSync(join(dir, 'ice_mean_radius__worst_texture.json'), 'utf8')) as { individual: number[] };
  assert.equal(pairCurves.header.length, 1 + 9);
  assert.deepEqual(pairCurves.rows[7]!.slice(1).map(Number), pairJson.individual.slice(7 * 9, 8 * 9));

  const ale = await lumen('ale', ...common, '--feature', 'mean radius', '--bins', '10');
  assert.equal(ale.code, 0, ale.stderr);
  const aleRows = parseCsv(readFileSync(join(dir, 'ale_mean_radius.csv'), 'utf8')).rows;
  assert.equal(aleRows.length, 11);
  // centered: the row-weighted mean of the bin midpoints is 0
  let mean = 0;
  for (let k = 1; k < aleRows.length; k++) mean += Number(aleRows[k]![2]) * (Number(aleRows[k - 1]![1]) + Number(aleRows[k]![1])) / 2;
  assert.ok(Math.abs(mean / 569) < 1e-9);

  const imp = await lumen('importance', ...common, '--repeats', '2');
  assert.equal(imp.code, 0, imp.stderr);
  const impJson = JSON.parse(readFileSync(join(dir, 'importance.json'), 'utf8')) as { mean: number[]; baseline: number; metric: string };
  assert.equal(impJson.metric, 'accuracy');
  assert.ok(impJson.baseline > 0.95);
  assert.equal(impJson.mean.length, 30);

  const shap = await lumen('shap', ...common, '--rows', '0-1', '--background', '20', '--num-samples', '200');
  assert.equal(shap.code, 0, shap.stderr);
  const shapRows = parseCsv(readFileSync(join(dir, 'shap.csv'), 'utf8')).rows;
  assert.equal(shapRows.length, 2);
  for (const r of shapRows) {
    const [, base, fx, ...phi] = r.map(Number);
    assert.ok(Math.abs(phi.reduce((a, b) => a + b, 0) - (fx! - base!)) < 1e-6, 'Σφ = f(x) − base');
  }

  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  for (const title of ['Partial dependence: mean radius', 'Partial dependence: mean radius × worst texture', 'Individual conditional expectation: worst texture', 'Accumulated local effects: mean radius', 'Permutation importance', 'Shapley values (KernelSHAP / exact), row 1']) {
    assert.ok(html.includes(title), `report lacks '${title}'`);
  }
  assert.equal(html.match(/<svg /g)?.length, 2 + 2 + 1 + 1 + 3);
});

test('without --feature, a CSV column name with a comma is one feature, not a pair', async () => {
  // the fixture's first 40 rows, its first column "mean radius" renamed "radius, mean" (quoted); the model reads columns by position
  const lines = readFileSync(CSV, 'utf8').split('\n').slice(0, 41);
  assert.ok(lines[0]!.startsWith('"mean radius",'));
  const renamed = join(dir, 'comma.csv');
  writeFileSync(renamed, [lines[0]!.replace('"mean radius"', '"radius, mean"'), ...lines.slice(1)].join('\n') + '\n');
  const out = join(dir, 'comma');
  const r = await lumen('pdp', MODEL, renamed, '--target-column', 'target', '--resolution', '3', '--out', out);
  assert.equal(r.code, 0, r.stderr);
  const svgs = readdirSync(out).filter((f) => f.endsWith('.svg'));
  assert.equal(svgs.length, 30, 'one plot per column, none for a split pair');
  assert.ok(svgs.includes('pdp_radius_mean.svg'));
  // its numbers are the original column's
  const plain = join(dir, 'plain.csv');
  writeFileSync(plain, lines.join('\n') + '\n');
  const ref = await lumen('pdp', MODEL, plain, '--target-column', 'target', '--feature', 'mean radius', '--resolution', '3', '--out', join(dir, 'plain'));
  assert.equal(ref.code, 0, ref.stderr);
  assert.deepEqual(parseCsv(readFileSync(join(out, 'pdp_radius_mean.csv'), 'utf8')).rows, parseCsv(readFileSync(join(dir, 'plain', 'pdp_mean_radius.csv'), 'utf8')).rows);
});

test('tabular user errors: one clear message, exit 2', async () => {
  const r1 = await lumen('importance', MODEL, CSV, '--ignore', 'target', '--out', join(dir, 'e'));
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /permutation importance scores the model against the labels.*--target-column/);
  const r2 = await lumen('pdp', MODEL, CSV, '--target-column', 'target', '--feature', 'mean radiuss', '--out', join(dir, 'e'));
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /no feature column 'mean radiuss'.*closest: mean radius/);
  // without --target-column the label is a 31st feature: the model takes 30
  const r3 = await lumen('pdp', MODEL, CSV, '--feature', 'mean radius', '--out', join(dir, 'e'));
  assert.equal(r3.code, 2);
  assert.match(r3.stderr, /takes 30 features but breast_cancer\.csv has 31 feature columns/);
  const r4 = await lumen('pdp', 'models/fashion-cnn.onnx', CSV, '--target-column', 'target', '--out', join(dir, 'e'));
  assert.equal(r4.code, 1);
  assert.match(r4.stderr, /takes images .* feature-vector model/);
  for (const r of [r1, r2, r3, r4]) assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/);
  assert.equal(existsSync(join(dir, 'e', 'report.html')), false);
});
