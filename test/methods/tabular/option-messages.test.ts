/**
 * Issue 22 for the tabular methods: their options are declared OptionSpecs (src/methods/tabular/options.ts), checked by
 * the image methods' validator, so a bad value gets the same words from the API, the `lumen pdp|ice|ale|importance|
 * shap` flag and the web page's form field, each naming the place before them (as test/methods/option-messages.test.ts
 * checks for the image methods). Defaults are applied by the methods from the declared lists.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tabularFlag } from '../../../src/cli/commands/tabular.js';
import { accumulatedLocalEffects } from '../../../src/methods/tabular/ale.js';
import { aleBins, featureGrid } from '../../../src/methods/tabular/grid.js';
import { permutationImportance } from '../../../src/methods/tabular/importance.js';
import { TABULAR_METHODS } from '../../../src/methods/tabular/info.js';
import { TabularModel } from '../../../src/methods/tabular/model.js';
import { GRID_RESOLUTION, TABULAR_MODEL_OPTIONS } from '../../../src/methods/tabular/options.js';
import { partialDependence } from '../../../src/methods/tabular/pdp.js';
import { shapValues } from '../../../src/methods/tabular/shap.js';
import type { OptionSpec } from '../../../src/methods/types.js';
import { optionRange } from '../../../src/methods/validate.js';
import type { LumenModel } from '../../../src/model.js';
import { loadModel } from '../../../src/node/load.js';
import { parseDataset, type TabularDataset } from '../../../src/tabular/dataset.js';
import { readNumberField } from '../../../web/src/forms.js';
import { runCliInProcess } from '../../helpers/cli.js';
import { messageOf } from '../../helpers/errors.js';

const MODEL = 'test/fixtures/tabular/breast_cancer_mlp.onnx';
const CSV = 'test/fixtures/tabular/breast_cancer.csv';
let model: LumenModel;
let ds: TabularDataset;
let tm: TabularModel;
let dir: string;
before(async () => {
  model = await loadModel(MODEL, { session: { threads: 1 } });
  ds = parseDataset(readFileSync(CSV, 'utf8'), { targetColumn: 'target', source: 'breast_cancer.csv' });
  tm = await TabularModel.create(model, ds);
  dir = mkdtempSync(join(tmpdir(), 'lumen-tabular-options-'));
});
after(async () => {
  await model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** `lumen <command> MODEL CSV … <flag> <value>`: exit 2 and the one line it prints. */
async function cliMessage(command: string, flag: string, value: string): Promise<string> {
  const r = await runCliInProcess([command, MODEL, CSV, '--target-column', 'target', '--out', join(dir, 'e'), '--threads', '1', flag, value]);
  assert.equal(r.code, 2, r.stderr);
  return r.stderr.split('\n')[0]!.replace(/^lumen: /, '');
}

const API: Record<string, [who: string, call: (options: Record<string, unknown>) => Promise<unknown>]> = {
  pdp: ['partialDependence', (o) => partialDependence(tm, ['mean radius'], o)],
  ice: ['partialDependence', (o) => partialDependence(tm, ['mean radius'], o)],
  ale: ['accumulatedLocalEffects', (o) => accumulatedLocalEffects(tm, ['mean radius'], o)],
  importance: ['permutationImportance', (o) => permutationImportance(tm, o)],
  shap: ['shapValues', (o) => shapValues(tm, o)],
};

const spec = (id: string, name: string) => {
  const found = TABULAR_METHODS.find((m) => m.id === id)!.options.find((o) => o.name === name);
  assert.ok(found, `${id} declares ${name}`);
  return found;
};

test('a bad number reads the same from the API, the CLI flag and the web form field', async () => {
  const cases: [id: string, option: string, flag: string, label: string, value: number | string, words: string][] = [
    ['pdp', 'resolution', '--resolution', 'resolution', 1, 'must be within [2, 100000], got 1'],
    ['ice', 'resolution', '--resolution', 'resolution', '2.5', "must be an integer, got '2.5'"],
    ['pdp', 'iceCurves', '--ice-curves', 'ice curves', -1, 'must be within [0, 100000], got -1'],
    ['ale', 'bins', '--bins', 'bins', 0, 'must be within [1, 100000], got 0'],
    ['importance', 'repeats', '--repeats', 'repeats', 'x', "must be an integer, got 'x'"],
    ['importance', 'seed', '--seed', 'seed', '1.5', "must be an integer, got '1.5'"],
    ['shap', 'seed', '--seed', 'seed', 2 ** 32, 'must be within [-2147483648, 4294967295], got 4294967296'],
    ['shap', 'background', '--background', 'background', 0, 'must be within [1, 100000], got 0'],
    ['shap', 'numSamples', '--num-samples', 'num samples', 1e6, 'must be within [1, 100000], got 1000000'],
  ];
  for (const [id, option, flag, label, value, words] of cases) {
    const [who, call] = API[id]!;
    assert.equal(await messageOf(() => call({ [option]: value })), `${who}: ${option} ${words}`);
    assert.equal(await cliMessage(id, flag, String(value)), `${flag} (${id}) ${words}`);
    assert.equal(await messageOf(() => readNumberField(spec(id, option), String(value)), false), `${label} ${words}`);
  }
});

test('a bad choice or boolean reads the same from the API and the CLI flag (the web form offers only the choices)', async () => {
  const cases: [id: string, option: string, flag: string, value: string, words: string][] = [
    ['pdp', 'kind', '--grid', 'linear', "must be one of uniform, quantile, got 'linear'"],
    ['importance', 'metric', '--metric', 'f1', "must be one of accuracy, log-loss, r2, mse, mae, got 'f1'"],
    ['shap', 'algorithm', '--algorithm', 'tree', "must be one of kernel, exact, got 'tree'"],
  ];
  for (const [id, option, flag, value, words] of cases) {
    const [who, call] = API[id]!;
    assert.equal(await messageOf(() => call({ [option]: value })), `${who}: ${option} ${words}`);
    assert.equal(await cliMessage(id, flag, value), `${flag} (${id}) ${words}`);
  }
  // --centered is a switch; the API names a bad value as every boolean option
  assert.equal(await messageOf(() => partialDependence(tm, ['mean radius'], { centered: 'maybe' as never })), "partialDependence: centered must be true or false, got 'maybe'");
  // the model's options: TabularModel.create and the flags every tabular command has
  assert.equal(await messageOf(() => TabularModel.create(model, ds, { encoding: 'binary' as never })), "TabularModel.create: encoding must be one of auto, ordinal, onehot, got 'binary'");
  assert.equal(await cliMessage('pdp', '--encoding', 'binary'), "--encoding must be one of auto, ordinal, onehot, got 'binary'");
  assert.equal(await messageOf(() => TabularModel.create(model, ds, { output: 'logit' as never })), "TabularModel.create: output must be one of probability, raw, got 'logit'");
  assert.equal(await cliMessage('pdp', '--response', 'logit'), "--response must be one of probability, raw, got 'logit'");
  // (maxBatchRows 0 was an endless loop: no rows per run)
  assert.equal(await messageOf(() => TabularModel.create(model, ds, { maxBatchRows: 0 })), 'TabularModel.create: maxBatchRows must be within [1, ∞], got 0');
  assert.equal(await cliMessage('ale', '--max-batch-rows', '0'), '--max-batch-rows must be within [1, ∞], got 0');
  assert.equal(TABULAR_MODEL_OPTIONS.length, 3);
});

test('list options (percentiles, rows) are read by the method: the CLI and the web page show its words', async () => {
  const percentiles = 'partialDependence: percentiles must be two fractions lo,hi with 0 ≤ lo < hi ≤ 1';
  assert.equal(await messageOf(() => partialDependence(tm, ['mean radius'], { percentiles: [0.9, 0.1] })), `${percentiles}, got an array ([0.9,0.1])`);
  assert.equal(await messageOf(() => partialDependence(tm, ['mean radius'], { percentiles: '0.9,0.1' })), `${percentiles}, got '0.9,0.1'`);
  assert.equal(await cliMessage('pdp', '--percentiles', '0.9,0.1'), `${percentiles}, got '0.9,0.1'`);
  const row = 'shapValues: rows: 569 is not a data row of breast_cancer.csv (0…568)';
  assert.equal(await messageOf(() => shapValues(tm, { rows: [0, 569] })), row);
  assert.equal(await messageOf(() => shapValues(tm, { rows: '0,560-569' })), row);
  assert.equal(await cliMessage('shap', '--rows', '0,560-569'), row);
  assert.equal(await cliMessage('shap', '--rows', '1;2'), "shapValues: rows must be row indices and ranges such as 0,3,10-14, got '1;2'");
  assert.equal(await messageOf(() => shapValues(tm, { background: [] })), 'shapValues: background must be row indices and ranges such as 0,3,10-14, got an array ([])');
  assert.equal(await messageOf(() => shapValues(tm, { rows: [] })), 'shapValues: rows must be row indices and ranges such as 0,3,10-14, got an array ([])');
  // the public helpers check their own arguments with the same specs
  assert.equal(await messageOf(() => featureGrid([1, 2, 3], { resolution: 1 })), 'featureGrid: resolution must be within [2, 100000], got 1');
  assert.equal(await messageOf(() => aleBins([1, 2, 3], 0)), 'aleBins: bins must be within [1, 100000], got 0');
});

test('the declared defaults are the ones applied; a pair takes 20 points per axis in the API as in the CLI', async () => {
  const values = Float64Array.from({ length: 1000 }, (_, i) => i);
  assert.equal(featureGrid(values).length, GRID_RESOLUTION.one);
  const pair = await partialDependence(tm, ['mean radius', 'worst texture']);
  assert.deepEqual(pair.grid.map((g) => g.length), [GRID_RESOLUTION.pair, GRID_RESOLUTION.pair]);
  assert.equal(pair.centered, false);
  // ICE's own default grid (its info: 50) in `lumen ice`
  const r = await runCliInProcess(['ice', MODEL, CSV, '--target-column', 'target', '--feature', 'worst texture', '--out', dir, '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const header = readFileSync(join(dir, 'ice_worst_texture_curves.csv'), 'utf8').split('\n')[0]!.split(',');
  assert.equal(header.length, 1 + (spec('ice', 'resolution').default as number));
});

/** docs/tabular.md's options table, from the metadata (each option once: its command, flag, API name, default, values). */
function optionsTable(): string {
  const lines = ['| command | flag | API option | default | values | what |', '| --- | --- | --- | --- | --- | --- |'];
  const groups: [string, readonly OptionSpec[]][] = [['every command', TABULAR_MODEL_OPTIONS], ...TABULAR_METHODS.map((m): [string, readonly OptionSpec[]] => [`\`lumen ${m.id}\``, m.options])];
  for (const [command, specs] of groups) {
    for (const o of specs) {
      const values = o.choices ? o.choices.map((c) => `\`${c}\``).join(', ') : o.type === 'number' || o.type === 'integer' ? `${o.type === 'integer' ? 'integer ' : ''}${optionRange(o)}` : o.type === 'boolean' ? 'switch' : 'text';
      const fallback = o.default === undefined ? '—' : `\`${String(o.default)}\``;
      lines.push(`| ${command} | \`${tabularFlag(o)}\` | \`${o.name}\` | ${fallback} | ${values} | ${o.description} |`);
    }
  }
  return lines.join('\n');
}

test("docs/tabular.md's options table is the metadata's", () => {
  const table = optionsTable();
  assert.ok(readFileSync('docs/tabular.md', 'utf8').includes(table), `docs/tabular.md: replace the options table by\n${table}`);
});
