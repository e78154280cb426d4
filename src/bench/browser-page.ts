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

export interface BrowserBenchSetup {
  threads: number;
  isolated: boolean;
}

let state: { once: (what: 'forward' | 'gradcam') => Promise<number> } | undefined;

async function setup(threads: number): Promise<BrowserBenchSetup> {
  const built = buildBenchModel('mobilenet_v2', { seed: 1234 });
  const runtime = webRuntime({ wasmPaths: '/ort/' });
  const { env } = await import('onnxruntime-web');
  // same thread count as Node when the page is cross-origin isolated (else WASM is single-threaded)
  if (env.wasm.numThreads !== 1) env.wasm.numThreads = threads;
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
  const calls = { forward: () => raw.run({ input }, [built.outputName]), gradcam: () => gradcam.explain(model, input) };
  // warm-up: compiles the explanation graph
  await interleaved(calls, 0, 1);
  state = {
    async once(what) {
      const t0 = performance.now();
      await calls[what]();
      return performance.now() - t0;
    },
  };
  return { threads: Number(env.wasm.numThreads ?? 1), isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true };
}

/** One timed call (ms); the Node side interleaves these with its own calls. */
async function once(what: 'forward' | 'gradcam'): Promise<number> {
  if (!state) throw new Error('lumenBenchSetup() first');
  return state.once(what);
}

Object.assign(globalThis, { lumenBenchSetup: setup, lumenBenchOnce: once });
