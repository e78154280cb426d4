/**
 * Page side of the browser benchmark (bundled by src/bench/browser.ts): builds the same MobileNetV2 as Node (same
 * seed, same bytes), then times a plain forward pass and Grad-CAM with onnxruntime-web's WASM backend, interleaved.
 */
import { webRuntime } from '../runtime/web.js';
import { LumenModel } from '../model.js';
import { getMethod } from '../methods/registry.js';
import '../methods/cam/index.js';
import { Tensor } from '../tensor.js';
import { buildBenchModel } from './models.js';
import { interleaved } from './timing.js';

export interface BrowserBenchResult {
  threads: number;
  isolated: boolean;
  forwardMs: number;
  gradcamMs: number;
  samplesMs: number[];
}

async function run(repeats: number): Promise<BrowserBenchResult> {
  const built = buildBenchModel('mobilenet_v2', { seed: 1234 });
  const runtime = webRuntime({ wasmPaths: '/ort/' });
  const model = LumenModel.fromBytes(built.bytes, { runtime, source: 'mobilenet_v2' });
  const raw = await runtime.createSession(built.bytes);
  const data = new Float32Array(3 * 224 * 224);
  let s = 7;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 4 - 2;
  }
  const input = new Tensor(data, [1, 3, 224, 224]);
  const gradcam = getMethod('gradcam');
  const res = await interleaved({ forward: () => raw.run({ input }, [built.outputName]), gradcam: () => gradcam.explain(model, input) }, repeats);
  const { env } = await import('onnxruntime-web');
  return {
    threads: Number(env.wasm.numThreads ?? 1),
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    forwardMs: res.forward!.median,
    gradcamMs: res.gradcam!.median,
    samplesMs: res.gradcam!.samples,
  };
}

(globalThis as { lumenBench?: (repeats: number) => Promise<BrowserBenchResult> }).lumenBench = run;
