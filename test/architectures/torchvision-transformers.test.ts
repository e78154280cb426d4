import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getMethod } from '../../src/api.js';
import { loadModel } from '../../src/node/load.js';
import { readNpy, relErr } from '../autodiff/helpers.js';

// Small-width instances of torchvision's VisionTransformer, SwinTransformer (48×48: its second stage pads 6×6 to
// 8×8 windows), MaxVit (Einsum attention, BatchNorm, squeeze-excitation) and ConvNeXt, exported at opset 17 with a
// dynamic batch by scripts/export_transformers.py, with PyTorch's input gradients of each image's top-1 logit.
const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'transformers');

for (const name of ['vit', 'swin', 'maxvit', 'convnext']) {
  test(`torchvision ${name} (tiny): logits and signed Saliency equal PyTorch`, async () => {
    const model = await loadModel(join(FIXTURES, name, 'model.onnx'));
    const x = readNpy(join(FIXTURES, name, 'input.npy'));
    const { logits } = await model.forward(x);
    assert.ok(relErr(logits.data, readNpy(join(FIXTURES, name, 'logits.npy')).data) < 1e-5);
    const e = await getMethod('saliency').explain(model, x, { abs: false });
    const err = relErr(e.attribution.data, readNpy(join(FIXTURES, name, 'saliency.npy')).data);
    assert.ok(err < 1e-4, `${name}: max|ours − torch|/max|torch| = ${err}`); // measured 2.5e-7 … 9.9e-7
    await model.dispose();
  });
}

test('torch.onnx shares equal parameters through Identity nodes: they are constants (FullGrad on ConvNeXt and MaxViT)', async () => {
  for (const name of ['convnext', 'maxvit']) {
    const model = await loadModel(join(FIXTURES, name, 'model.onnx'));
    const shared = model.graph.nodes.find((n) => n.opType === 'Identity' && model.graph.initializer(n.input[0]!));
    assert.ok(shared, `${name}: no Identity of an initializer`);
    assert.deepEqual(model.graph.constantNumbers(shared.output[0]!), model.graph.constantNumbers(shared.input[0]!));
    const e = await getMethod('fullgrad').explain(model, readNpy(join(FIXTURES, name, 'input.npy')));
    const d = e.attribution.data;
    assert.ok(d.every(Number.isFinite) && Math.max(...d) > Math.min(...d), `${name}: FullGrad map is flat or not finite`);
    await model.dispose();
  }
});
