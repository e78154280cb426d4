import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAllMethods } from '../../../src/methods/load-all.js';
import { getMethod } from '../../../src/methods/registry.js';
import { INTEGRATION_METHODS } from '../../../src/methods/gradient/quadrature.js';
import { LumenModel } from '../../../src/model.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import type { Tensor } from '../../../src/tensor.js';
import { emptyModel, randn, readNpy, relErr, rng } from '../../autodiff/helpers.js';
import { model } from '../../helpers/conformance.js';

// Issue 25: Integrated Gradients with precision float64 is the double-precision IG (Captum's arithmetic on float64
// tensors: path points b + α(x − b) computed in double, step sizes as float32), and equals float32 IG within float32
// noise wherever float32 is well conditioned. Photos: scikit-image's coffee, astronaut and motorcycle_left prepared
// as conformance/inputs/chelsea64.npy; references by scripts/make_ig_precision_refs.py (PyTorch float64 on the ONNX
// graph). Target 0, 32 steps, zeros baseline.

const DIR = 'test/fixtures/ig-precision';
const PHOTOS = ['coffee', 'astronaut', 'motorcycle_left'];

async function ig(m: LumenModel, x: Tensor, method: string, precision: string): Promise<Float32Array> {
  const e = await getMethod('integrated-gradients').explain(m, x, { target: 0, steps: 32, method, baseline: 'zeros', internalBatchSize: 32, precision });
  return e.attribution.data;
}

test('IG float64 equals PyTorch float64 IG on tiny_mobilenet (3 photos × every rule, ≤ 1e-6), and float32 where it is well conditioned (≤ 1e-5)', async () => {
  await loadAllMethods();
  const m = await model('tiny_mobilenet');
  for (const photo of PHOTOS) {
    const x = readNpy(`${DIR}/${photo}64.npy`);
    for (const method of INTEGRATION_METHODS) {
      const f64 = await ig(m, x, method, 'float64');
      // measured ≤ 1.1e-7; coffee gausslegendre was 2.7e-3 while the float64 path points were rounded to float32
      const err = relErr(f64, readNpy(`${DIR}/ig64_${photo}_${method}.npy`).data);
      assert.ok(err <= 1e-6, `${photo} ${method}: float64 vs PyTorch float64 ${err}`);
      // riemann_left/right: on these photos one of the 31 shared α puts a ReLU6 input within float32 rounding
      // (~1e-6) of its kink (coffee: α = 0.9375, exact value −1.1e-6), so float32 IG — ours as PyTorch's — differs
      // by 4e-3…1e-2 from the exact one; with other step counts other rules are hit (docs/methods-gradient.md)
      if (method === 'riemann_left' || method === 'riemann_right') continue;
      const agree = relErr(await ig(m, x, method, 'float32'), f64);
      assert.ok(agree <= 1e-5, `${photo} ${method}: float32 vs float64 ${agree}`); // measured ≤ 2.4e-7
    }
  }
});

/** Conv(3→8, 3×3, stride 4) → ReLU6 → depthwise 3×3 → ReLU6 → 1×1 (8→16) → ReLU6 → depthwise 3×3 stride 2 → ReLU6 → GAP → Gemm(4). */
function depthwiseRelu6Model(): LumenModel {
  const r = rng(25);
  const g = emptyModel({ x: ['N', 3, 64, 64] }, 13);
  const w = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => scale * randn(r));
  const relu6 = (t: string): string => g.op('Clip', [t, g.addInitializer(Float32Array.of(0), []), g.addInitializer(Float32Array.of(6), [])]);
  const conv = (t: string, cin: number, cout: number, k: number, stride: number, group: number): string =>
    relu6(g.op('Conv', [t, g.addInitializer(w((cout * cin * k * k) / group, 1.5 / Math.sqrt((cin / group) * k * k)), [cout, cin / group, k, k]), g.addInitializer(w(cout, 0.3), [cout])], {
      kernel_shape: { ints: [k, k] }, strides: { ints: [stride, stride] }, pads: { ints: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] }, group: { i: group },
    }));
  let t = conv('x', 3, 8, 3, 4, 1);
  t = conv(t, 8, 8, 3, 1, 8);
  t = conv(t, 8, 16, 1, 1, 1);
  t = conv(t, 16, 16, 3, 2, 16);
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [t])], { axis: { i: 1 } });
  g.addNode('Gemm', [pooled, g.addInitializer(w(4 * 16, 0.5), [4, 16]), g.addInitializer(w(4, 0.1), [4])], ['logits'], { transB: { i: 1 } });
  g.setOutputs(['logits']);
  return LumenModel.fromBytes(g.toBytes(), { runtime: nodeRuntime({ threads: 1 }), source: 'depthwise-relu6' });
}

test('IG float32 and float64 agree (≤ 1e-5) on a depthwise/ReLU6 model: 3 photos × every rule', async () => {
  await loadAllMethods();
  const m = depthwiseRelu6Model();
  let worst = 0;
  for (const photo of PHOTOS) {
    const x = readNpy(`${DIR}/${photo}64.npy`);
    for (const method of INTEGRATION_METHODS) {
      const f64 = await ig(m, x, method, 'float64');
      const err = relErr(await ig(m, x, method, 'float32'), f64);
      assert.ok(err <= 1e-5, `${photo} ${method}: float32 vs float64 ${err}`);
      worst = Math.max(worst, err);
    }
  }
  console.log(`depthwise/ReLU6 model: max float32 vs float64 ${worst.toExponential(2)}`);
});
