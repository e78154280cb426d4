import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../../src/node/load.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import { LumenModel } from '../../../src/model.js';
import { getMethod } from '../../../src/methods/registry.js';
import { Tensor } from '../../../src/tensor.js';
import { LumenError } from '../../../src/errors.js';
import '../../../src/methods/gradient/index.js';
import { integrationPoints, legendreGauss } from '../../../src/methods/gradient/quadrature.js';
import { gaussianBlur } from '../../../src/methods/gradient/baselines.js';
import { efficientNetLike } from '../../autodiff/families.js';
import { emptyModel, randomTensor, readNpy, relErr, rng } from '../../autodiff/helpers.js';

interface Case { model: string; input: string; input_file: string; target: number }
const manifest = JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { cases: Case[] };

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let r = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    r += b[i]! ** 2;
  }
  return Math.sqrt(d / r);
}

const sum = (t: Tensor): number => t.data.reduce((a, b) => a + b, 0);

test('quadrature: Gauss–Legendre nodes/weights and Captum Riemann rules', () => {
  const g3 = legendreGauss(3);
  assert.ok(Math.abs(g3.nodes[0]! + Math.sqrt(3 / 5)) < 1e-15 && g3.nodes[1] === 0 && Math.abs(g3.nodes[2]! - Math.sqrt(3 / 5)) < 1e-15);
  assert.ok(Math.abs(g3.weights[0]! - 5 / 9) < 1e-15 && Math.abs(g3.weights[1]! - 8 / 9) < 1e-15);
  // numpy.polynomial.legendre.leggauss(32)[0][:2] and [1][:2]
  const g32 = legendreGauss(32);
  assert.ok(Math.abs(g32.nodes[0]! + 0.9972638618494816) < 1e-14 && Math.abs(g32.nodes[1]! + 0.9856115115452684) < 1e-14);
  assert.ok(Math.abs(g32.weights[0]! - 0.007018610009470136) < 1e-14);
  const total = (w: number[]): number => w.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total(integrationPoints('gausslegendre', 32).weights) - 1) < 1e-12);
  assert.ok(Math.abs(total(integrationPoints('riemann_trapezoid', 32).weights) - 31 / 32) < 1e-12);
  const left = integrationPoints('riemann_left', 4).alphas;
  const right = integrationPoints('riemann_right', 4).alphas;
  const middle = integrationPoints('riemann_middle', 4).alphas;
  assert.deepEqual(left, [0, 0.25, 0.5, 0.75]);
  assert.deepEqual(right, [0.25, 0.5, 0.75, 1]);
  assert.deepEqual(middle, [0.125, 0.375, 0.625, 0.875]);
  assert.throws(() => integrationPoints('gausslegendre', 1), LumenError);
});

test('SmoothGrad matches Captum NoiseTunnel(Saliency) statistically on every fashion_cnn case (64 samples, stdev 0.15)', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const sg = getMethod('smoothgrad');
  for (const c of manifest.cases.filter((k) => k.model === 'fashion_cnn')) {
    const x = readNpy(`conformance/${c.input_file}`);
    for (const abs of [false, true]) {
      const ours = await sg.explain(model, x, { target: c.target, samples: 64, stdev: 0.15, abs, seed: 11 });
      const kind = abs ? 'abs' : 'signed';
      for (const seed of [0, 1]) {
        const ref = readNpy(`conformance/refs/fashion_cnn/${c.input}/t${c.target}/NoiseTunnel_SmoothGrad.${kind}.seed${seed}.npy`);
        const r = pearson(ours.attribution.data, ref.data);
        const l2 = relL2(ours.attribution.data, ref.data);
        console.log(`${c.input} ${kind} vs seed${seed}: r ${r.toFixed(3)}, rel L2 ${l2.toFixed(3)}`);
        assert.ok(r > 0.85, `${c.input} ${kind} seed${seed}: Pearson ${r}`);
        assert.ok(l2 < (abs ? 0.3 : 0.5), `${c.input} ${kind} seed${seed}: rel L2 ${l2}`);
      }
    }
  }
  await model.dispose();
});

test('stochastic methods are deterministic for a fixed seed and change with it', async () => {
  const model = await loadModel('conformance/models/tiny_vgg.onnx');
  const x = readNpy('conformance/inputs/chelsea64.npy');
  for (const [id, opts] of [['smoothgrad', { samples: 6 }], ['gradient-shap', { samples: 6, stdev: 0.1 }], ['integrated-gradients', { steps: 4, baseline: 'uniform-noise' }]] as const) {
    const m = getMethod(id);
    const a = await m.explain(model, x, { ...opts, seed: 5 });
    const b = await m.explain(model, x, { ...opts, seed: 5 });
    const c = await m.explain(model, x, { ...opts, seed: 6 });
    assert.deepEqual(Array.from(a.attribution.data), Array.from(b.attribution.data), `${id}: same seed`);
    assert.ok(relErr(c.attribution.data, a.attribution.data) > 1e-3, `${id}: another seed must change the result`);
  }
  await model.dispose();
});

test('noise tunnel: stdev 0 gives the base method; vargrad = squaregrad − smoothgrad²', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0002.npy');
  const nt = getMethod('noise-tunnel');
  const base = await getMethod('input-x-gradient').explain(model, x, {});
  const noiseless = await nt.explain(model, x, { base: 'input-x-gradient', samples: 3, stdev: 0 });
  assert.ok(relErr(noiseless.attribution.data, base.attribution.data) < 1e-6);
  const opts = { base: 'input-x-gradient', samples: 8, stdev: 0.2, seed: 2 };
  const mean = await nt.explain(model, x, { ...opts, type: 'smoothgrad' });
  const sq = await nt.explain(model, x, { ...opts, type: 'squaregrad' });
  const v = await nt.explain(model, x, { ...opts, type: 'vargrad' });
  const expected = Float32Array.from(sq.attribution.data, (s, i) => s - mean.attribution.data[i]! ** 2);
  assert.ok(relErr(v.attribution.data, expected) < 1e-4);
  assert.ok(Math.min(...v.attribution.data) > -1e-6, 'a variance is not negative');
  // the base is its declared default when missing; any other value than a method id is refused (was: silently saliency)
  const saliencyTunnel = await nt.explain(model, x, { samples: 2, stdev: 0.1, seed: 1 });
  assert.equal(saliencyTunnel.extras.base, 'saliency');
  await assert.rejects(nt.explain(model, x, { base: 5, samples: 2 }), { message: 'noise-tunnel.explain: base must be a method id (listMethods()), got number 5' });
  await model.dispose();
});

/** The EfficientNet-style test net (smooth: SiLU, sigmoid gates) as a LumenModel. */
function smoothModel(): LumenModel {
  return LumenModel.fromProto(efficientNetLike().g.model, { runtime: nodeRuntime({ threads: 1 }), source: 'efficientnet-like' });
}

test('Integrated Gradients completeness: Σ attr = f(x) − f(baseline) (smooth net, gausslegendre)', async () => {
  const model = smoothModel();
  const x = randomTensor([2, 3, 12, 12], rng(9));
  const ig = getMethod('integrated-gradients');
  for (const baseline of ['zeros', 'blur', 0.3] as const) {
    const e = await ig.explain(model, x, { steps: 24, baseline, target: 2 });
    const scores = e.extras.scores as number[];
    const base = e.extras.baselineScores as number[];
    const deltas = e.extras.convergenceDelta as number[];
    deltas.forEach((d, i) => assert.ok(Math.abs(d) < 1e-4 * Math.max(1, Math.abs(scores[i]! - base[i]!)), `${String(baseline)}: delta ${d} (gap ${scores[i]! - base[i]!})`));
    assert.ok(Math.abs(scores[0]! - base[0]!) > 1e-2, 'the score must change along the path');
  }
  await model.dispose();
});

test('Integrated Gradients on a ReLU net converges: |delta| shrinks with steps', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  const ig = getMethod('integrated-gradients');
  const d = async (steps: number): Promise<number> => Math.abs(((await ig.explain(model, x, { steps })).extras.convergenceDelta as number[])[0]!);
  const [d8, d128] = [await d(8), await d(128)];
  const e = await ig.explain(model, x, { steps: 128 });
  const gap = Math.abs((e.extras.scores as number[])[0]! - (e.extras.baselineScores as number[])[0]!);
  console.log(`fashion_cnn IG |delta|: 8 steps ${d8.toFixed(4)}, 128 steps ${d128.toFixed(4)} (gap ${gap.toFixed(3)})`);
  assert.ok(d128 < d8);
  assert.ok(d128 < 0.02 * gap, `128 steps: delta ${d128} vs gap ${gap}`);
  await model.dispose();
});

test('baselines: the input itself gives zero attribution; a custom tensor, blur and noise are honoured', async () => {
  const model = await loadModel('conformance/models/tiny_resnet.onnx');
  const x = readNpy('conformance/inputs/chelsea64.npy');
  const ig = getMethod('integrated-gradients');
  const same = await ig.explain(model, x, { steps: 4, baseline: x });
  assert.equal(Math.max(...Array.from(same.attribution.data, Math.abs)), 0);
  const blurred = gaussianBlur(x, 4);
  const viaTensor = await ig.explain(model, x, { steps: 8, baseline: blurred });
  const viaName = await ig.explain(model, x, { steps: 8, baseline: 'blur', blurSigma: 4 });
  assert.deepEqual(Array.from(viaName.attribution.data), Array.from(viaTensor.attribution.data));
  // blur keeps the mean of a constant image and smooths a step
  const step = new Tensor(Float32Array.from({ length: 64 }, (_, i) => (i % 8 < 4 ? 0 : 1)), [1, 1, 8, 8]);
  const b = gaussianBlur(step, 1);
  assert.ok(b.data[3]! > 0.1 && b.data[3]! < 0.5 && b.data[4]! > 0.5 && b.data[4]! < 0.9);
  assert.ok(Math.abs(sum(gaussianBlur(Tensor.filled([1, 1, 5, 5], 2), 2)) - 50) < 1e-4);
  await assert.rejects(ig.explain(model, x, { baseline: Tensor.zeros([1, 3, 8, 8]) }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await assert.rejects(ig.explain(model, x, { method: 'simpson' }), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION');
  await model.dispose();
});

test('GradientSHAP on a linear model equals Input × Gradient exactly (zero baseline); batch of two images', async () => {
  // Conv 1×1 → GAP → Flatten → Gemm: linear, so the gradient is the same at every point of the path
  const r = rng(3);
  const g = emptyModel({ input: ['N', 3, 6, 6] });
  const conv = g.op('Conv', ['input', g.addInitializer(Float32Array.from({ length: 12 }, () => r() - 0.5), [4, 3, 1, 1])]);
  const logits = g.op('Gemm', [g.op('Flatten', [g.op('GlobalAveragePool', [conv])]), g.addInitializer(Float32Array.from({ length: 20 }, () => r() - 0.5), [4, 5])]);
  g.setOutputs([logits]);
  const model = LumenModel.fromProto(g.model, { runtime: nodeRuntime({ threads: 1 }) });
  const x = randomTensor([2, 3, 6, 6], r);
  const shap = await getMethod('gradient-shap').explain(model, x, { baselines: Tensor.zeros([1, 3, 6, 6]), samples: 7, target: [1, 3] });
  const ixg = await getMethod('input-x-gradient').explain(model, x, { target: [1, 3] });
  assert.deepEqual(shap.targets, [1, 3]);
  assert.ok(relErr(shap.attribution.data, ixg.attribution.data) < 1e-5);
  await model.dispose();
});

test('top-k targets: saliency explains each image\'s own k-th class without an extra forward pass', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const cases = manifest.cases.filter((k) => k.model === 'fashion_cnn');
  const batch = Tensor.concat(cases.map((c) => readNpy(`conformance/${c.input_file}`)));
  const top1 = await getMethod('saliency').explain(model, batch, {});
  assert.deepEqual(top1.targets, cases.map((c) => c.target));
  const top2 = await getMethod('saliency').explain(model, batch, { target: 'top2', abs: false });
  const preds = await model.predict(batch, 2);
  assert.deepEqual(top2.targets, preds.map((p) => p[1]!.index));
  const explicit = await getMethod('saliency').explain(model, batch, { target: top2.targets, abs: false });
  assert.ok(relErr(explicit.attribution.data, top2.attribution.data) < 1e-6);
  await model.dispose();
});
