/**
 * torchvision CNNs as torch.onnx.export writes them (scripts/export_torchvision.py tiny): ShuffleNetV2, RegNet with
 * squeeze-excitation, MobileNetV3-small, each at opsets 7, 9, 11, 13 and 17 with a dynamic batch and with the batch
 * fixed at 1. Every file must give PyTorch's logits and PyTorch's input gradient (Saliency, abs off) on a batch of
 * two images, list its layers and run Grad-CAM, Integrated Gradients and RISE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../src/node/load.js';
import { npyToTensor } from '../../src/io/npy.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/cam/index.js';
import '../../src/methods/gradient/index.js';
import '../../src/methods/perturbation/index.js';
import { relErr } from '../autodiff/helpers.js';
import type { Tensor } from '../../src/tensor.js';

const DIR = 'test/fixtures/torchvision';
const read = (p: string): Tensor => npyToTensor(new Uint8Array(readFileSync(p)));

for (const net of ['shufflenet_v2', 'regnet', 'mobilenet_v3']) {
  test(`torchvision ${net}: opsets 7/9/11/13/17, dynamic and fixed batch — PyTorch's logits and input gradient`, async () => {
    const x = read(`${DIR}/${net}/input.npy`);
    const logits = read(`${DIR}/${net}/logits.npy`);
    const saliency = read(`${DIR}/${net}/saliency.npy`);
    for (const opset of [7, 9, 11, 13, 17]) {
      for (const batch of ['dynamic', 'fixed']) {
        const file = `${DIR}/${net}/opset${opset}_${batch}.onnx`;
        const model = await loadModel(file, { session: { threads: 1 } });
        assert.equal(model.opsetUpgrade?.fromOpset, opset < 11 ? opset : undefined, file);
        assert.equal(model.batchOpening !== undefined, batch === 'fixed', file);
        const { logits: got } = await model.forward(x);
        assert.ok(relErr(got.data, logits.data) < 1e-4, `${file}: logits ${relErr(got.data, logits.data)}`);
        // every fixed-batch export here batches once opened (ShuffleNet's x.view targets rewritten), none falls back
        if (batch === 'fixed') assert.equal(model.batchOpening?.mode, 'batched', file);
        const sal = await getMethod('saliency').explain(model, x, { abs: false });
        const err = relErr(sal.attribution.data, saliency.data);
        // measured 2e-7…5e-7 (logits 2e-7) on every file: float32 summation order
        assert.ok(err < 1e-4, `${file}: saliency vs PyTorch ${err}`);
        const layers = await model.layers();
        assert.equal(layers.filter((l) => l.isDefault).length, 1, file);
        await model.dispose();
      }
    }
  });
}

test('torchvision exports: Grad-CAM, Integrated Gradients and RISE agree between the fixed-batch opset-7 and the dynamic opset-17 files', async () => {
  for (const net of ['shufflenet_v2', 'regnet', 'mobilenet_v3']) {
    const x = read(`${DIR}/${net}/input.npy`);
    const [fixed, dynamic] = [await loadModel(`${DIR}/${net}/opset7_fixed.onnx`), await loadModel(`${DIR}/${net}/opset17_dynamic.onnx`)];
    for (const [id, options] of [['gradcam', {}], ['integrated-gradients', { steps: 8, internalBatchSize: 8 }], ['rise', { numMasks: 64, seed: 2 }]] as const) {
      const input = id === 'rise' ? x.item(0) : x;
      const a = await getMethod(id).explain(fixed, input, options);
      const b = await getMethod(id).explain(dynamic, input, options);
      const err = relErr(a.attribution.data, b.attribution.data);
      assert.ok(a.attribution.data.some((v) => v !== 0) && err < 1e-4, `${net} ${id}: ${err}`);
    }
    await Promise.all([fixed.dispose(), dynamic.dispose()]);
  }
});
