/** The browser entry's functions that need no DOM, run in Node with onnxruntime-node underneath. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as browser from '../../src/browser.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { loadModel } from '../../src/node/load.js';
import { loadInput } from '../../src/node/inputs.js';
import { readImageFile } from '../../src/node/image-file.js';
import type { Runtime } from '../../src/runtime/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODEL = join(ROOT, 'models', 'fashion-cnn.onnx');
const SAMPLE = join(ROOT, 'samples', 'fashion', '9-ankle-boot.png');

test('loadModelFromBytes + prepareImage give the same input and predictions as loadModel + loadInput', async () => {
  const bytes = readFileSync(MODEL);
  const metadata = browser.parseMetadataText(readFileSync(MODEL.replace(/\.onnx$/, '.json'), 'utf8'), 'fashion-cnn.json');
  const model = browser.loadModelFromBytes(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), { runtime: nodeRuntime(), metadata, source: 'fashion-cnn.onnx' });
  const nodeModel = await loadModel(MODEL);
  try {
    assert.deepEqual(model.classNames, nodeModel.classNames);
    assert.deepEqual(model.normalization, nodeModel.normalization);
    const raw = await readImageFile(SAMPLE);
    const { tensor, image } = browser.prepareImage(raw, model);
    const loaded = await loadInput(SAMPLE, nodeModel);
    assert.deepEqual([...tensor.dims], [...loaded.tensor.dims]);
    assert.deepEqual(Array.from(tensor.data), Array.from(loaded.tensor.data));
    assert.deepEqual(Array.from(image.data), Array.from(loaded.image.data));
    const [a] = await model.predict(tensor, 3);
    const [b] = await nodeModel.predict(loaded.tensor, 3);
    assert.deepEqual(a!.map((p) => p.index), b!.map((p) => p.index));
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(a![i]!.probability - b![i]!.probability) < 1e-6);
    assert.equal(a![0]!.label, 'Ankle boot');
  } finally {
    await model.dispose();
    await nodeModel.dispose();
  }
});

test('prepareImage fits other sizes (stretch, center-crop) and refuses them with resize none', async () => {
  const model = browser.loadModelFromBytes(readFileSync(MODEL), { runtime: nodeRuntime() });
  try {
    const big: browser.RawImage = { width: 56, height: 40, channels: 3, data: new Uint8Array(56 * 40 * 3).fill(200) };
    assert.deepEqual([...browser.prepareImage(big, model).tensor.dims], [1, 1, 28, 28]);
    assert.deepEqual([...browser.prepareImage(big, model, { resize: 'center-crop' }).tensor.dims], [1, 1, 28, 28]);
    assert.throws(() => browser.prepareImage(big, model, { resize: 'none' }), /resizing is off|resizing/);
  } finally {
    await model.dispose();
  }
});

test('parseMetadataText validates the sidecar', () => {
  assert.deepEqual(browser.parseMetadataText('{"classes":["a","b"]}').classes, ['a', 'b']);
  assert.throws(() => browser.parseMetadataText('{nope', 'm.json'), /m\.json: not valid JSON/);
  assert.throws(() => browser.parseMetadataText('[1]', 'm.json'), /expected a JSON object/);
  assert.throws(() => browser.parseMetadataText('{"classes":[1]}', 'm.json'), /"classes" must be an array of strings/);
});

test('loadModelFromFile reads a Blob model and its sidecar', async () => {
  const file = new Blob([readFileSync(MODEL)]) as Blob & { name?: string };
  const metadataFile = new Blob([readFileSync(MODEL.replace(/\.onnx$/, '.json'))]);
  const model = await browser.loadModelFromFile(file, { runtime: nodeRuntime(), metadataFile });
  try {
    assert.equal(model.classNames?.[9], 'Ankle boot');
    const layers = await model.layers();
    assert.equal(layers.filter((l) => l.isDefault).length, 1);
    assert.equal(layers.find((l) => l.isDefault)!.name, await model.defaultLayer());
  } finally {
    await model.dispose();
  }
});

test('yieldingRuntime passes runs through unchanged', async () => {
  const calls: string[] = [];
  const inner: Runtime = {
    name: 'fake',
    async createSession() {
      return {
        inputNames: ['x'],
        outputNames: ['y'],
        async run(feeds) {
          calls.push('run');
          const x = feeds.x as browser.Tensor;
          return { y: new browser.Tensor(x.data.map((v) => v * 2), x.dims) };
        },
        async dispose() {
          calls.push('dispose');
        },
      };
    },
  };
  const runtime = browser.yieldingRuntime(inner);
  assert.equal(runtime.name, 'fake');
  const session = await runtime.createSession(new Uint8Array());
  assert.deepEqual(session.inputNames, ['x']);
  for (let i = 0; i < 3; i++) {
    const out = await session.run({ x: new browser.Tensor(new Float32Array([1, 2, 3]), [3]) });
    assert.deepEqual(Array.from(out.y!.data), [2, 4, 6]);
  }
  await session.dispose();
  assert.deepEqual(calls, ['run', 'run', 'run', 'dispose']);
});

test('the browser entry registers the method families and exposes the metrics', async () => {
  await browser.loadAllMethods();
  const families = new Set(browser.listMethods().map((m) => m.family));
  assert.ok(families.has('cam') && families.has('perturbation'), [...families].join(','));
  assert.ok(browser.hasMetric('deletion') && browser.hasMetric('insertion'));
});
