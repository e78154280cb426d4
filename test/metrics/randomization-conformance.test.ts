import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import '../../src/metrics/index.js';
import { evaluate } from '../../src/metrics/evaluate.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { hasMethod } from '../../src/methods/registry.js';
import { loadModel } from '../../src/node/load.js';
import type { Tensor } from '../../src/tensor.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const METHODS = ['saliency', 'gradcam', 'guided-backprop'] as const;

/** Why the test cannot run yet (the methods and the .npy reader are written in parallel), or undefined. */
async function missing(): Promise<string | undefined> {
  try {
    await loadAllMethods();
  } catch (e) {
    return `method families do not load yet: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
  }
  const absent = METHODS.filter((m) => !hasMethod(m));
  if (absent.length) return `methods not registered yet: ${absent.join(', ')} (src/methods/gradient, src/methods/cam)`;
  if (!existsSync(`${ROOT}src/io/npy.ts`)) return 'src/io/npy.ts (the .npy reader) does not exist yet';
  return undefined;
}

async function readInput(path: string): Promise<Tensor> {
  const { npyToTensor } = (await import('../../src/io/npy.js' as string)) as { npyToTensor: (b: Uint8Array) => Tensor };
  return npyToTensor(new Uint8Array(readFileSync(path)));
}

const reason = await missing();

// Adebayo et al. 2018, Fig. 2/4: under cascading randomization Gradient and Grad-CAM maps lose their rank
// correlation with the original map, Guided Backprop's stays high (it mostly reflects the input).
test('cascading randomization decorrelates Saliency and Grad-CAM much more than Guided Backprop (fashion_cnn)', { skip: reason }, async () => {
  const model = await loadModel(`${ROOT}conformance/models/fashion_cnn.onnx`);
  const x = await readInput(`${ROOT}conformance/inputs/fmnist_test0000.npy`);
  const scores: Record<string, { mean: number; last: number; layers: number }> = {};
  for (const method of METHODS) {
    const { results } = await evaluate(model, x, { method, metrics: ['randomization'], target: 9, seed: 0 });
    const r = results[0]!;
    const curve = r.details[0]!['spearman'] as number[];
    scores[method] = { mean: r.value, last: curve[curve.length - 1]!, layers: curve.length };
  }
  await model.dispose();
  assert.ok(scores['saliency']!.layers >= 3, 'fashion_cnn has several Conv/Gemm layers');
  assert.ok(scores['saliency']!.last < 0.5, `saliency after full randomization: ${scores['saliency']!.last}`);
  assert.ok(scores['gradcam']!.last < 0.5, `gradcam after full randomization: ${scores['gradcam']!.last}`);
  assert.ok(scores['guided-backprop']!.mean > scores['saliency']!.mean + 0.2, `guided backprop ${scores['guided-backprop']!.mean} vs saliency ${scores['saliency']!.mean}`);
  assert.ok(scores['guided-backprop']!.mean > scores['gradcam']!.mean + 0.2, `guided backprop ${scores['guided-backprop']!.mean} vs gradcam ${scores['gradcam']!.mean}`);
});
