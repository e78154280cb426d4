/** CSV reading, categorical columns (detected / declared), one-hot encoding chosen from the model's F, errors. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { LumenError } from '../../../src/errors.js';
import { parseCsv, toCsv } from '../../../src/tabular/csv.js';
import { encodeRows, featureEncoding, parseDataset } from '../../../src/tabular/dataset.js';
import { TabularModel } from '../../../src/methods/tabular/model.js';
import { partialDependence } from '../../../src/methods/tabular/pdp.js';
import { accumulatedLocalEffects } from '../../../src/methods/tabular/ale.js';
import { shapValues } from '../../../src/methods/tabular/shap.js';
import { featureModel, linear, maxAbsDiff } from './helpers.js';
import { create } from '@bufbuild/protobuf';
import { LumenModel } from '../../../src/model.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import { OperatorSetIdProtoSchema, TensorProto_DataType } from '../../../src/onnx/proto.js';
import { datasetFromRows } from '../../../src/tabular/dataset.js';
import { emptyModel } from '../../autodiff/helpers.js';

const lumenError = (code: string, re: RegExp) => (e: unknown) => e instanceof LumenError && e.code === code && re.test(e.message);

test('CSV: quotes, doubled quotes, newlines in quotes, CRLF, BOM, blank lines; round trip through toCsv', () => {
  const text = '\ufeffname,"a, b",c\r\n"x ""y""",1,"two\nlines"\r\n\r\nz,2,3\n';
  const t = parseCsv(text);
  assert.deepEqual(t.header, ['name', 'a, b', 'c']);
  assert.deepEqual(t.rows, [['x "y"', '1', 'two\nlines'], ['z', '2', '3']]);
  assert.deepEqual(parseCsv(toCsv(t.header, t.rows)), t);
  assert.throws(() => parseCsv('a,b\n1,2,3\n', 'd.csv'), lumenError('BAD_OPTION', /d\.csv: line 2 has 3 fields, the header has 2/));
  assert.throws(() => parseCsv('a,b\n"1,2\n'), lumenError('BAD_OPTION', /never closed/));
  assert.throws(() => parseCsv('a,a\n1,2\n'), lumenError('BAD_OPTION', /'a' twice/));
  assert.throws(() => parseCsv(''), lumenError('BAD_OPTION', /empty/));
});

test('dataset: target column kept aside, text columns categorical, declared numeric categories, missing values refused', () => {
  const csv = 'age,colour,size,label\n30,red,1,0\n40,blue,3,1\n50,green,2,1\n60,red,3,0\n';
  const ds = parseDataset(csv, { targetColumn: 'label', categorical: ['size'] });
  assert.deepEqual(ds.columns.map((c) => [c.name, c.kind]), [['age', 'numeric'], ['colour', 'categorical'], ['size', 'categorical']]);
  assert.deepEqual(ds.columns[1]!.categories, ['blue', 'green', 'red']);
  assert.deepEqual(ds.columns[2]!.categories, ['1', '2', '3']);
  assert.deepEqual(ds.target, { name: 'label', values: ['0', '1', '1', '0'] });
  assert.deepEqual(Array.from(ds.values.subarray(0, 3)), [30, 2, 0]);
  // ordinal: 3 features (numeric categories keep their value); one-hot: 1 + 3 + 3
  const ord = featureEncoding(ds, 3);
  assert.equal(ord.mode, 'ordinal');
  assert.deepEqual(Array.from(encodeRows(ds, ord, ds.values, 1)), [30, 2, 1]);
  const hot = featureEncoding(ds, 7);
  assert.equal(hot.mode, 'onehot');
  assert.deepEqual(hot.featureNames, ['age', 'colour=blue', 'colour=green', 'colour=red', 'size=1', 'size=2', 'size=3']);
  assert.deepEqual(Array.from(encodeRows(ds, hot, ds.values, 2)), [30, 0, 0, 1, 1, 0, 0, 40, 1, 0, 0, 0, 0, 1]);
  assert.throws(() => featureEncoding(ds, 5), lumenError('INPUT_SHAPE', /takes 5 features but .* has 3 feature columns \(7 with the categorical columns one-hot encoded\)/));
  assert.throws(() => parseDataset(csv, { targetColumn: 'lable' }), lumenError('BAD_OPTION', /--target-column 'lable' is not a column.*label/));
  assert.throws(() => parseDataset('a,b\n1,\n2,3\n'), lumenError('BAD_OPTION', /column 'b' has no value on data row 1/));
});

test('one-hot model: PDP over a categorical column visits every category; Shapley treats the one-hot group as one player; ALE refuses it', async () => {
  const csv = ['x,colour,y', '0.5,red,1', '-1,blue,0', '2,green,1', '0,red,0', '1,blue,1', '-0.5,green,0'].join('\n');
  const ds = parseDataset(csv, { targetColumn: 'y' });
  // f = 2·x + [1, −1, 0.5]·onehot(colour: blue, green, red)
  const model = featureModel(4, (g) => linear(g, 4, [2, 1, -1, 0.5]));
  const tm = await TabularModel.create(model, ds);
  assert.equal(tm.encoding.mode, 'onehot');
  const pdp = await partialDependence(tm, ['colour']);
  assert.deepEqual(pdp.grid[0], [0, 1, 2]);
  const meanX = (0.5 - 1 + 2 + 0 + 1 - 0.5) / 6;
  assert.ok(maxAbsDiff(pdp.average, [1, -1, 0.5].map((v) => 2 * meanX + v)) < 1e-6);
  const exact = await shapValues(tm, { rows: [0], algorithm: 'exact', background: 6 });
  // row 0: x = 0.5, red; φ_colour = 0.5 − mean over the background of the colour term (mean of 1, −1, 0.5 twice each)
  assert.ok(maxAbsDiff(exact.values, [2 * (0.5 - meanX), 0.5 - (1 - 1 + 0.5) / 3]) < 1e-6);
  await assert.rejects(accumulatedLocalEffects(tm, ['colour']), lumenError('BAD_OPTION', /'colour' is categorical/));
  await assert.rejects(partialDependence(tm, ['y']), lumenError('BAD_OPTION', /'y' is the target column/));
  await model.dispose();
});

test('a scikit-learn style export (ai.onnx.ml LinearClassifier: int64 label first, probabilities second) is read at its probabilities', async () => {
  const g = emptyModel({ x: ['N', 3] });
  g.model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'ai.onnx.ml', version: 1n }));
  const coefficients = [1, 2, -1, -1, 0.5, 1];
  g.addNode('LinearClassifier', ['x'], ['label', 'probabilities'], { classlabels_ints: { ints: [0, 1] }, coefficients: { floats: coefficients }, intercepts: { floats: [0.25, -0.5] }, post_transform: { s: 'SOFTMAX' } }, 'ai.onnx.ml');
  g.addOutput('label', ['N'], TensorProto_DataType.INT64);
  g.addOutput('probabilities', ['N', 2]);
  const model = LumenModel.fromProto(g.model, { runtime: nodeRuntime({ threads: 1 }), source: 'linear classifier' });
  const rows = [[0.5, -1, 2], [1, 0, -0.5], [-2, 1, 1], [0, 0.25, 0.75]];
  const tm = await TabularModel.create(model, datasetFromRows(['a', 'b', 'c'], rows));
  assert.equal(tm.outputName, 'probabilities');
  assert.equal(tm.output, 'raw'); // already probabilities: no second softmax
  assert.equal(tm.responseLabel, 'P(class 1)');
  const p1 = (x: number[]): number => {
    const z0 = coefficients[0]! * x[0]! + coefficients[1]! * x[1]! + coefficients[2]! * x[2]! + 0.25;
    const z1 = coefficients[3]! * x[0]! + coefficients[4]! * x[1]! + coefficients[5]! * x[2]! - 0.5;
    return 1 / (1 + Math.exp(z0 - z1));
  };
  const pdp = await partialDependence(tm, ['a'], { grid: [[-1, 0, 1]] });
  const want = [-1, 0, 1].map((v) => rows.reduce((s, r) => s + p1([v, r[1]!, r[2]!]), 0) / rows.length);
  assert.ok(maxAbsDiff(pdp.average, want) < 1e-6);
  await model.dispose();
});
