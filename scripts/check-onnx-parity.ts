/**
 * Check the exported models against PyTorch: run the reference images written by the training
 * scripts (.cache/*-parity.json) through onnxruntime-node via Lumen's own loader, with Lumen-style
 * preprocessing from the model's metadata, and print the max |logit difference|.
 *
 *   npx tsx scripts/check-onnx-parity.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/node/load.js';
import { Tensor } from '../src/tensor.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Parity {
  shape: [number, number, number, number];
  /** NCHW (grayscale) or NHWC (RGB) uint8 pixels. */
  u8?: number[];
  u8_nhwc?: number[];
  logits: number[][];
}

async function check(modelFile: string, parityFile: string): Promise<void> {
  const parityPath = join(ROOT, '.cache', parityFile);
  if (!existsSync(parityPath)) {
    console.log(`${modelFile}: no ${parityFile} (run the training script first)`);
    return;
  }
  const ref = JSON.parse(readFileSync(parityPath, 'utf8')) as Parity;
  const model = await loadModel(join(ROOT, 'models', modelFile));
  const norm = model.normalization;
  if (!norm) throw new Error(`${modelFile}: no normalization in metadata`);
  const [n, c, h, w] = ref.shape;
  const data = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const mean = norm.mean[ch % norm.mean.length]!;
      const std = norm.std[ch % norm.std.length]!;
      for (let p = 0; p < h * w; p++) {
        const u8 = ref.u8 ? ref.u8[b * h * w + p]! : ref.u8_nhwc![(b * h * w + p) * c + ch]!;
        data[((b * c + ch) * h * w) + p] = (u8 / 255 - mean) / std;
      }
    }
  }
  const { logits } = await model.forward(new Tensor(data, ref.shape));
  let maxDiff = 0;
  let argmaxAgree = 0;
  for (let b = 0; b < n; b++) {
    const row = ref.logits[b]!;
    let best = 0;
    let bestOnnx = 0;
    for (let k = 0; k < row.length; k++) {
      const onnx = logits.data[b * row.length + k]!;
      maxDiff = Math.max(maxDiff, Math.abs(onnx - row[k]!));
      if (row[k]! > row[best]!) best = k;
      if (onnx > logits.data[b * row.length + bestOnnx]!) bestOnnx = k;
    }
    if (best === bestOnnx) argmaxAgree++;
  }
  console.log(`${modelFile}: ${n} images, max |onnx - torch| logit diff ${maxDiff.toExponential(2)}, argmax agrees ${argmaxAgree}/${n}, ` +
    `classes ${model.classNames?.length}, default layer ${await model.defaultLayer()}`);
}

await check('fashion-cnn.onnx', 'fashion-parity.json');
await check('shapes-clean.onnx', 'shapes-clean-parity.json');
await check('shapes-shortcut.onnx', 'shapes-shortcut-parity.json');
