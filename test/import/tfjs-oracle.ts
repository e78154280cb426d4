// TensorFlow.js (pure-JS CPU backend) as the oracle of the importer tests, and helpers around it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfc from '@tensorflow/tfjs-converter';
import { mulberry32 } from '../../src/random.js';
import { Tensor } from '../../src/tensor.js';

tf.env().set('PROD', true); // no debug-mode checks, no dev warnings
await tf.setBackend('cpu');

/**
 * The tests differentiate w.r.t. inputs and activations only, but TF.js's fused-convolution gradient always computes
 * the filter gradient too, which the pure-JS backend does very slowly (≈ 30 s for the emotion model). Filter
 * gradients are never read here, so their kernels return zeros; input gradients are TF.js's own.
 */
for (const kernelName of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter']) {
  tf.unregisterKernel(kernelName, 'cpu');
  tf.registerKernel({
    kernelName,
    backendName: 'cpu',
    kernelFunc: ({ attrs, backend }) => {
      const shape = (attrs as { filterShape: number[] }).filterShape;
      return (backend as { makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, d) => a * d, 1)));
    },
  });
}

export { tf, tfl, tfc };

/** A model.json and its shards as TF.js's in-memory IO handler. */
export function artifactsOf(path: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const parts = json.weightsManifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(join(dirname(path), p)))));
  const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer,
    format: json.format as string | undefined,
    signature: json.signature as object | undefined,
  };
}

export function loadTfGraphModel(path: string): Promise<tfc.GraphModel> {
  return tfc.loadGraphModel(tf.io.fromMemory(artifactsOf(path)));
}

export function loadTfLayersModel(path: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(artifactsOf(path)));
}

/** Deterministic values in [lo, hi) of an NHWC tensor. */
export function randomNhwc(shape: number[], seed: number, lo = 0, hi = 1): tf.Tensor4D {
  const next = mulberry32(seed);
  const n = shape.reduce((a, d) => a * d, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * next();
  return tf.tensor4d(v, shape as [number, number, number, number]);
}

/** A TF.js NHWC tensor as the [N, C, H, W] Lumen tensor Lumen's API takes. */
export function toLumen(x: tf.Tensor4D): Tensor {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const out = new Tensor(t.dataSync() as Float32Array, t.shape);
  t.dispose();
  return out;
}

/** NHWC values → NCHW order (to compare input-shaped attributions). */
export function nhwcToNchw(x: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.transpose(x, [0, 3, 1, 2]).dataSync() as Float32Array);
}

import { relErr } from '../helpers/conformance.js';

export { relErr };

/** The artifacts a TF.js model saves (model.json contents + weight bytes), captured in memory. */
export async function artifactsOfModel(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return captured!;
}

function toFloat16(v: number): number {
  // round-to-nearest-even float32 → IEEE half (values here are small and normal)
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}

/**
 * Write artifacts as model.json + one shard in `dir`. `quantize` stores float weights as TF.js's converter does
 * (uint8: min + q·scale; float16); TF.js then dequantizes them itself when it loads the same files.
 */
export function writeArtifacts(dir: string, a: tf.io.ModelArtifacts, quantize?: 'uint8' | 'float16', format?: string): string {
  const data = new Uint8Array(a.weightData as ArrayBuffer);
  const specs = a.weightSpecs!;
  const parts: Uint8Array[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  let at = 0;
  for (const s of specs) {
    const n = s.shape.reduce((p, d) => p * d, 1);
    const bytes = data.slice(at, at + n * 4);
    at += n * 4;
    if (!quantize || s.dtype !== 'float32') {
      parts.push(bytes);
      outSpecs.push(s);
      continue;
    }
    const v = new Float32Array(bytes.buffer);
    if (quantize === 'float16') {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = toFloat16(v[i]!);
      parts.push(new Uint8Array(h.buffer));
      outSpecs.push({ ...s, quantization: { dtype: 'float16' } });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const x of v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      const scale = max > min ? (max - min) / 255 : 1;
      const q = Uint8Array.from(v, (x) => Math.round((x - min) / scale));
      parts.push(q);
      outSpecs.push({ ...s, quantization: { dtype: 'uint8', min, scale } });
    }
  }
  const total = new Uint8Array(parts.reduce((p, b) => p + b.length, 0));
  let o = 0;
  for (const p of parts) {
    total.set(p, o);
    o += p.length;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'weights.bin'), total);
  const json: Record<string, unknown> = { modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: outSpecs }] };
  if (format ?? a.format) json.format = format ?? a.format;
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(json));
  return path;
}

/**
 * Lumen's tensor `name` against TF.js's value of the same layer/node: equal dims, or Lumen's channels-first copy
 * of a 4-D NHWC tensor. Returns max|Δ| / max|tf|.
 */
export function compareToTf(ours: Tensor, theirs: tf.Tensor): number {
  const s = theirs.shape;
  const same = ours.dims.join() === s.join();
  const transposed = s.length === 4 && ours.dims.join() === [s[0], s[3], s[1], s[2]].join();
  if (same && transposed) throw new Error(`ambiguous shape [${s.join(', ')}] (H = W = C): choose other sizes in the test`);
  if (same) return relErr(ours.data, theirs.dataSync());
  if (transposed) return relErr(ours.data, nhwcToNchw(theirs));
  throw new Error(`shapes differ: Lumen [${ours.dims.join(', ')}], TF.js [${s.join(', ')}]`);
}
