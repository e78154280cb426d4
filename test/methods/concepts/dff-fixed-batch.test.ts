/**
 * The concept methods run the network's head (layer → logits) on k concept vectors or on Sobol designs at once: a
 * model exported with its batch fixed at 1 (torch.onnx.export without dynamic_axes) must give what the same network
 * exported with a dynamic batch gives (test/fixtures/torchvision, scripts/export_torchvision.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { npyToTensor } from '../../../src/io/npy.js';
import { craft } from '../../../src/methods/concepts/craft.js';
import { deepFeatureFactorization } from '../../../src/methods/concepts/dff.js';
import { loadModel } from '../../../src/node/load.js';
import { relErr } from '../../autodiff/helpers.js';

const DIR = 'test/fixtures/torchvision';

for (const net of ['regnet', 'shufflenet_v2']) {
  test(`${net} with its batch fixed at 1: DFF concept scores and CRAFT Sobol importance equal the dynamic-batch export`, async () => {
    const x = npyToTensor(new Uint8Array(readFileSync(`${DIR}/${net}/input.npy`)));
    const [fixed, dynamic] = [await loadModel(`${DIR}/${net}/opset17_fixed.onnx`), await loadModel(`${DIR}/${net}/opset17_dynamic.onnx`)];
    try {
      assert.equal(fixed.batchOpening?.fixed, 1);
      assert.equal(dynamic.batchOpening, undefined);
      const layer = await fixed.defaultLayer();
      assert.equal(layer, await dynamic.defaultLayer());
      const [a, b] = [await deepFeatureFactorization(fixed, x, { layer, k: 3, seed: 0 }), await deepFeatureFactorization(dynamic, x, { layer, k: 3, seed: 0 })];
      assert.equal(a.conceptLogits!.dims.join('x'), `3x${b.conceptLogits!.dims[1]}`);
      assert.ok(relErr(a.maps.data, b.maps.data) < 1e-4, `maps ${relErr(a.maps.data, b.maps.data)}`);
      assert.ok(relErr(a.conceptLogits!.data, b.conceptLogits!.data) < 1e-4, `concept logits ${relErr(a.conceptLogits!.data, b.conceptLogits!.data)}`);
      // the head's rows differ per concept (the k rows were not one row repeated)
      const cls = a.conceptLogits!.dims[1]!;
      assert.ok(relErr(a.conceptLogits!.data.subarray(0, cls), a.conceptLogits!.data.subarray(cls, 2 * cls)) > 1e-3);
      const opts = { layer, k: 2, target: 0, seed: 0, designs: 8, batchSize: 7 };
      const [ca, cb] = [await craft(fixed, x, opts), await craft(dynamic, x, opts)];
      ca.importance.forEach((v, j) => assert.ok(Math.abs(v - cb.importance[j]!) < 1e-3, `Sobol ${j}: ${v} vs ${cb.importance[j]}`));
      assert.ok(ca.importance.some((v) => v > 0.01), `importance ${ca.importance}`);
    } finally {
      await fixed.dispose();
      await dynamic.dispose();
    }
  });
}
