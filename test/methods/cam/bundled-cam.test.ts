import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { loadModel } from '../../../src/node/load.js';
import { loadInput, stackInputs } from '../../../src/node/inputs.js';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/cam/index.js';
import type { Tensor } from '../../../src/tensor.js';

// On a conv → GlobalAveragePool → linear head, Grad-CAM's weights are the linear weights / (h·w), so classic CAM
// (weights read from the Gemm) and Grad-CAM are proportional with a positive factor and their final maps are equal.
test('classic CAM equals Grad-CAM up to a positive scale on the bundled Fashion-MNIST model (all samples)', async () => {
  const model = await loadModel('models/fashion-cnn.onnx');
  const files = readdirSync('samples/fashion').filter((f) => f.endsWith('.png')).map((f) => `samples/fashion/${f}`);
  const inputs = [];
  for (const f of files) inputs.push(await loadInput(f, model));
  const x = stackInputs(inputs);
  const [, , h, w] = (await model.forward(x, [await model.defaultLayer()])).tensors[await model.defaultLayer()]!.dims as number[];
  for (const target of ['top1', 'top2'] as const) {
    const cam = await getMethod('cam').explain(model, x, { target, raw: true });
    const grad = await getMethod('gradcam').explain(model, x, { target, raw: true });
    assert.deepEqual(cam.targets, grad.targets);
    const a = (cam.extras.raw as Tensor).data;
    const b = (grad.extras.raw as Tensor).data;
    let scale = 0;
    for (const v of b) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - h! * w! * b[i]!) <= 1e-4 * h! * w! * scale, `raw ${i}: ${a[i]} vs ${h! * w!}·${b[i]}`);
    for (let i = 0; i < cam.attribution.size; i++) assert.ok(Math.abs(cam.attribution.data[i]! - grad.attribution.data[i]!) < 1e-4);
  }
  await model.dispose();
});
