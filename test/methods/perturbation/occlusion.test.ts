import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../../src/node/load.js';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/perturbation/index.js';
import { maxRelErr, readNpy } from './helpers.js';

interface Ref { model: string; input_file: string; target: number; method: string; file: string; params: { sliding_window_shapes: number[]; strides: number[]; baselines: number } }
const manifest = JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { references: Ref[] };

test('occlusion equals every Captum Occlusion reference (max|ours−ref|/max|ref| < 1e-4)', async () => {
  const refs = manifest.references.filter((r) => r.method === 'Occlusion');
  assert.ok(refs.length >= 9, `found ${refs.length} Occlusion references`);
  const method = getMethod('occlusion');
  const errors: string[] = [];
  for (const r of refs) {
    const model = await loadModel(`conformance/models/${r.model}.onnx`);
    const x = readNpy(`conformance/${r.input_file}`);
    const ref = readNpy(`conformance/${r.file}`);
    const result = await method.explain(model, x, {
      target: r.target,
      slidingWindowShapes: r.params.sliding_window_shapes,
      strides: r.params.strides,
      baselines: r.params.baselines,
      batchSize: 64,
    });
    assert.deepEqual(result.attribution.dims, ref.dims);
    const err = maxRelErr(result.attribution.data, ref.data);
    errors.push(`${r.file}: ${err.toExponential(2)}`);
    assert.ok(err < 1e-4, `${r.file}: relative error ${err}`);
    await model.dispose();
  }
  console.log(errors.join('\n'));
});
