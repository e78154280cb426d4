// The committed models and samples agree with each other: metadata is complete and consistent with the
// sidecar, the default layer exists, the Fashion samples are classified as their labels, and the shortcut
// model follows the marker on the shapes test split while the clean model does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { Tensor } from '../../src/tensor.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Load from bytes WITHOUT the sidecar, so the metadata comes from the ONNX file itself. */
function loadBare(file: string): LumenModel {
  return LumenModel.fromBytes(new Uint8Array(readFileSync(join(ROOT, 'models', file))), { runtime: nodeRuntime(), source: file });
}

function sidecar(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'models', file), 'utf8')) as Record<string, unknown>;
}

/** Images -> normalized NCHW batch, as Lumen preprocesses them: (u8/255 - mean) / std. */
async function batch(files: string[], channels: number, model: LumenModel): Promise<Tensor> {
  const norm = model.normalization!;
  const parts: Float32Array[] = [];
  let h = 0;
  let w = 0;
  for (const f of files) {
    const img = sharp(f);
    const { data, info } = await (channels === 1 ? img.extractChannel(0) : img.removeAlpha()).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, channels);
    [h, w] = [info.height, info.width];
    const out = new Float32Array(channels * h * w);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < h * w; p++) out[c * h * w + p] = (data[p * channels + c]! / 255 - norm.mean[c % norm.mean.length]!) / norm.std[c % norm.std.length]!;
    }
    parts.push(out);
  }
  const data = new Float32Array(parts.length * channels * h * w);
  parts.forEach((p, i) => data.set(p, i * p.length));
  return new Tensor(data, [files.length, channels, h, w]);
}

function argmaxRows(logits: Tensor): number[] {
  const [n, k] = logits.dims as [number, number];
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (logits.data[r * k + j]! > logits.data[r * k + best]!) best = j;
    out.push(best);
  }
  return out;
}

test('fashion-cnn: metadata in the ONNX file matches the sidecar; default layer is the last conv ReLU', async () => {
  const model = loadBare('fashion-cnn.onnx');
  const side = sidecar('fashion-cnn.json');
  assert.deepEqual(model.classNames, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  assert.deepEqual(model.classNames, side.classes);
  assert.deepEqual(model.normalization, { mean: [0.286], std: [0.353] });
  assert.equal(model.metadata.defaultLayer, side.defaultLayer);
  assert.equal(model.metadata.testAccuracy, side.testAccuracy);
  assert.ok((side.testAccuracy as number) >= 0.89);
  assert.equal(model.inputName, 'input');
  assert.equal(model.outputName, 'logits');
  assert.deepEqual(model.inputDims.slice(1), [1, 28, 28]);
  assert.equal(typeof model.inputDims[0], 'string', 'batch dim must be dynamic');

  const layers = await model.layers();
  const def = layers.find((l) => l.isDefault);
  assert.equal(def?.name, side.defaultLayer);
  assert.equal(def?.op, 'Relu');
  const spatial = layers.filter((l) => (l.shape[2] ?? 1) > 1);
  assert.equal(spatial.at(-1)?.name, side.defaultLayer, 'default layer is the last spatial activation');
  assert.deepEqual(def?.shape.slice(2), [7, 7]);
});

test('fashion samples: 10 PNGs, one per class, each classified as its label', async () => {
  const labels = JSON.parse(readFileSync(join(ROOT, 'samples', 'fashion', 'labels.json'), 'utf8')) as Record<string, number>;
  const files = Object.keys(labels);
  assert.deepEqual(Object.values(labels).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const model = loadBare('fashion-cnn.onnx');
  const input = await batch(files.map((f) => join(ROOT, 'samples', 'fashion', f)), 1, model);
  const { logits } = await model.forward(input);
  assert.deepEqual(logits.dims, [10, 10]);
  assert.deepEqual(argmaxRows(logits), files.map((f) => labels[f]));
});

test('shapes models: the shortcut model follows the marker, the clean model follows the shape', async () => {
  const split = JSON.parse(readFileSync(join(ROOT, 'samples', 'shapes', 'split.json'), 'utf8')) as {
    images: { file: string; label: number; marker: { classIndex: number; consistent: boolean } }[];
  };
  const images = split.images.slice(0, 20);
  const files = images.map((e) => join(ROOT, 'samples', 'shapes', e.file));
  const shortcut = loadBare('shapes-shortcut.onnx');
  const clean = loadBare('shapes-clean.onnx');
  for (const m of [shortcut, clean]) {
    assert.deepEqual(m.classNames, ['circle', 'square', 'triangle', 'star', 'cross']);
    assert.deepEqual(m.normalization, { mean: [0, 0, 0], std: [1, 1, 1] });
    assert.deepEqual(m.inputDims.slice(1), [3, 64, 64]);
    assert.equal((await m.layers()).find((l) => l.isDefault)?.name, m.metadata.defaultLayer);
  }
  const predShortcut = argmaxRows((await shortcut.forward(await batch(files, 3, shortcut))).logits);
  const predClean = argmaxRows((await clean.forward(await batch(files, 3, clean))).logits);
  const followsMarker = predShortcut.filter((p, i) => p === images[i]!.marker.classIndex).length;
  const cleanCorrect = predClean.filter((p, i) => p === images[i]!.label).length;
  const swapped = images.filter((e) => !e.marker.consistent).length;
  assert.equal(swapped, 10);
  assert.ok(followsMarker >= 19, `shortcut model followed the marker on ${followsMarker}/20`);
  assert.ok(cleanCorrect >= 17, `clean model right on ${cleanCorrect}/20`);
});
