import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../../src/node/load.js';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/perturbation/index.js';
import { Tensor } from '../../../src/tensor.js';
import { emptyGraph, maxRelErr, modelOf, readNpy, testValues } from './helpers.js';

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

test('occlusion with channel-subset windows and clipped border windows equals a brute-force evaluation', async () => {
  // Linear model on 3×11×9: logit0 = Σ w·x, so d_j = Σ_{values in window j} w·(x − baseline).
  const [C, H, W] = [3, 11, 9];
  const w = testValues(C * H * W, 61);
  const x = testValues(C * H * W, 67);
  const g = emptyGraph();
  g.addInput('input', ['batch', C, H, W]);
  const lin = g.op('Gemm', [g.op('Flatten', ['input'], { axis: { i: 1 } }), g.addInitializer(w, [1, C * H * W])], { transB: { i: 1 } });
  g.addNode('Concat', [lin, g.op('Neg', [lin])], ['logits'], { axis: { i: 1 } });
  g.addOutput('logits', ['batch', 2]);
  const model = modelOf(g);
  const window = [2, 4, 3];
  const stride = [1, 3, 2];
  const baseline = 0.5;
  const result = await getMethod('occlusion').explain(model, new Tensor(x, [1, C, H, W]), { target: 0, slidingWindowShapes: window, strides: stride, baselines: baseline });
  // Brute force: enumerate window starts 0, s, 2s, … while start + w < D + s (ceil((D − w)/s) + 1 of them), clip at D.
  const starts = (D: number, k: number, s: number): number[] => Array.from({ length: Math.ceil((D - k) / s) + 1 }, (_, i) => i * s);
  const sum = new Float64Array(C * H * W);
  const hits = new Float64Array(C * H * W);
  let windows = 0;
  for (const c0 of starts(C, window[0]!, stride[0]!)) {
    for (const y0 of starts(H, window[1]!, stride[1]!)) {
      for (const x0 of starts(W, window[2]!, stride[2]!)) {
        windows++;
        const cells: number[] = [];
        for (let c = c0; c < Math.min(c0 + window[0]!, C); c++) for (let y = y0; y < Math.min(y0 + window[1]!, H); y++) for (let xx = x0; xx < Math.min(x0 + window[2]!, W); xx++) cells.push((c * H + y) * W + xx);
        const d = cells.reduce((s, i) => s + w[i]! * (x[i]! - baseline), 0);
        for (const i of cells) {
          sum[i]! += d;
          hits[i]! += 1;
        }
      }
    }
  }
  assert.equal(windows, 2 * 4 * 4); // ceil(1/1)+1, ceil(7/3)+1, ceil(6/2)+1
  assert.equal(result.extras.passes, 1 + windows);
  assert.ok(hits.every((h) => h > 0));
  const expected = Array.from(sum, (s, i) => s / hits[i]!);
  const err = maxRelErr(result.attribution.data, expected);
  assert.ok(err < 1e-5, `relative error ${err}`);
  await model.dispose();
});
