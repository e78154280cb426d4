/** The benchmark model builder: torchvision's parameter counts and layer shapes, dynamic batch, deterministic bytes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBenchModel, TORCHVISION_PARAMETERS } from '../../src/bench/models.js';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';

const runtime = nodeRuntime({ threads: 1 });

function input(batch: number, size: number): Tensor {
  return new Tensor(new Float32Array(batch * 3 * size * size).map((_, i) => Math.sin(i * 0.37)), [batch, 3, size, size]);
}

for (const [name, layerShape] of [['resnet50', [2048, 2, 2]], ['mobilenet_v2', [1280, 2, 2]]] as const) {
  test(`${name}: torchvision's parameter count, CAM layer shape, dynamic batch, finite logits`, async () => {
    const m = buildBenchModel(name, { size: 64 });
    assert.equal(m.parameters, TORCHVISION_PARAMETERS[name]);
    const model = LumenModel.fromBytes(m.bytes, { runtime, source: name });
    try {
      assert.equal(await model.defaultLayer(), m.camLayer);
      const { logits, tensors } = await model.forward(input(2, 64), [m.camLayer]);
      assert.deepEqual(logits.dims, [2, 1000]);
      assert.deepEqual(tensors[m.camLayer]!.dims, [2, ...layerShape]);
      assert.ok(logits.data.every(Number.isFinite));
      assert.ok(Math.max(...logits.data.map(Math.abs)) > 1e-3, 'activations must not vanish');
    } finally {
      await model.dispose();
    }
  });
}

test('vgg16: torchvision parameter count (FC input scaled with the input size), 7×7 CAM layer at 224 px is 1×1 at 32 px', async () => {
  const m = buildBenchModel('vgg16', { size: 32 });
  // torchvision's first FC takes 512·7·7 features at 224 px; at 32 px it takes 512·1·1
  assert.equal(m.parameters, TORCHVISION_PARAMETERS.vgg16 - 512 * 48 * 4096);
  const model = LumenModel.fromBytes(m.bytes, { runtime, source: 'vgg16' });
  try {
    const { logits, tensors } = await model.forward(input(1, 32), [m.camLayer]);
    assert.deepEqual(logits.dims, [1, 1000]);
    assert.deepEqual(tensors[m.camLayer]!.dims, [1, 512, 1, 1]);
  } finally {
    await model.dispose();
  }
});

test('same seed, same bytes; another seed, other weights', () => {
  const a = buildBenchModel('mobilenet_v2', { size: 32, seed: 5 });
  const b = buildBenchModel('mobilenet_v2', { size: 32, seed: 5 });
  const c = buildBenchModel('mobilenet_v2', { size: 32, seed: 6 });
  assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)));
  assert.ok(!Buffer.from(a.bytes).equals(Buffer.from(c.bytes)));
});

test('vit_b_16: torchvision parameter count (positional embedding scaled with the token count), token CAM layer, attention found by the attention methods', async () => {
  const m = buildBenchModel('vit_b_16', { size: 32 });
  // torchvision's positional embedding has 197 tokens at 224 px; at 32 px the 2×2 grid gives 5
  assert.equal(m.parameters, TORCHVISION_PARAMETERS.vit_b_16 - (197 - 5) * 768);
  const model = LumenModel.fromBytes(m.bytes, { runtime, source: 'vit_b_16' });
  try {
    const { logits, tensors } = await model.forward(input(2, 32), [m.camLayer]);
    assert.deepEqual(logits.dims, [2, 1000]);
    assert.deepEqual(tensors[m.camLayer]!.dims, [2, 5, 768]);
    assert.ok(logits.data.every(Number.isFinite) && Math.max(...logits.data.map(Math.abs)) > 1e-3);
    const { attentionBlocks } = await import('../../src/methods/attention/attention-blocks.js');
    const blocks = await attentionBlocks(model, input(1, 32), 'test');
    assert.deepEqual([blocks.softmax.length, blocks.heads[0], blocks.tokens, blocks.prefix, blocks.height, blocks.width], [12, 12, 5, 1, 2, 2]);
  } finally {
    await model.dispose();
  }
});
