import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../../src/node/load.js';
import { getMethod } from '../../../src/methods/registry.js';
import '../../../src/methods/gradient/index.js';
import { readNpy, relErr } from '../../autodiff/helpers.js';

interface Case { model: string; input: string; input_file: string; target: number }
const manifest = JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { cases: Case[] };

/** Captum reference file → (method id, options). */
const REFERENCES: [string, string, Record<string, unknown>][] = [
  ['Saliency.abs', 'saliency', {}],
  ['Saliency.signed', 'saliency', { abs: false }],
  ['InputXGradient', 'input-x-gradient', {}],
  ['GuidedBackprop', 'guided-backprop', {}],
  ['Deconvolution', 'deconvnet', {}],
];

for (const name of ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg']) {
  test(`${name}: gradient methods equal every Captum reference (max|ours − ref| / max|ref| < 1e-4)`, async () => {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    for (const c of manifest.cases.filter((k) => k.model === name)) {
      const x = readNpy(`conformance/${c.input_file}`);
      const dir = `conformance/refs/${name}/${c.input}/t${c.target}`;
      const line: string[] = [];
      for (const [file, id, opts] of REFERENCES) {
        // explicit class for some, the default top1 (= the reference's predicted class) for the others
        const target = file.startsWith('Saliency') ? undefined : c.target;
        const e = await getMethod(id).explain(model, x, { ...opts, ...(target === undefined ? {} : { target }) });
        assert.deepEqual(e.targets, [c.target], `${file}: explained class`);
        const ref = readNpy(`${dir}/${file}.npy`);
        assert.deepEqual(e.attribution.dims, ref.dims, file);
        const err = relErr(e.attribution.data, ref.data);
        line.push(`${file} ${err.toExponential(1)}`);
        assert.ok(err < 1e-4, `${name}/${c.input} ${file}: error ${err}`);
      }
      console.log(`${name}/${c.input}: ${line.join(', ')}`);
    }
    await model.dispose();
  });
}

interface RefRow { model: string; input: string; variant?: string; convergence_delta?: number }
const rowsOf = (JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { references: RefRow[] }).references;

/**
 * Integrated Gradients at 32 interpolated points is ill-conditioned in float32 on these nets: moving the baseline
 * by 1e-6 moves single-step gradients by up to 15 % (whole channels cross a ReLU/Clip kink at some α), so
 * PyTorch and ONNX Runtime, whose convolutions round differently, cannot agree to 1e-4 everywhere. The check:
 * within 1e-4, or within twice our own change under that 1e-6 baseline shift; the 99th percentile of the
 * pixel error under 2e-3 (tiny_mobilenet, the most kink-dense, reaches 1.2e-3); and Captum's convergence delta reproduced to 2 % of f(x) − f(baseline).
 */
for (const name of ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg']) {
  test(`${name}: Integrated Gradients equals Captum (gausslegendre and riemann_trapezoid, 32 steps) up to float32 conditioning`, async () => {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    const ig = getMethod('integrated-gradients');
    for (const c of manifest.cases.filter((k) => k.model === name)) {
      const x = readNpy(`conformance/${c.input_file}`);
      for (const method of ['gausslegendre', 'riemann_trapezoid']) {
        const variant = `IntegratedGradients.${method}_32`;
        const ref = readNpy(`conformance/refs/${name}/${c.input}/t${c.target}/${variant}.npy`);
        const e = await ig.explain(model, x, { target: c.target, steps: 32, method });
        const err = relErr(e.attribution.data, ref.data);
        const shifted = await ig.explain(model, x, { target: c.target, steps: 32, method, baseline: 1e-6 });
        const sensitivity = relErr(shifted.attribution.data, e.attribution.data);
        const scale = Math.max(...Array.from(ref.data, Math.abs));
        const pixelErrors = Array.from(e.attribution.data, (v, i) => Math.abs(v - ref.data[i]!) / scale).sort((a, b) => a - b);
        const p99 = pixelErrors[Math.floor(0.99 * pixelErrors.length)]!;
        const delta = (e.extras.convergenceDelta as number[])[0]!;
        const refDelta = rowsOf.find((r) => r.model === name && r.input === c.input && r.variant === variant)!.convergence_delta!;
        const gap = Math.abs((e.extras.scores as number[])[0]! - (e.extras.baselineScores as number[])[0]!);
        console.log(`${name}/${c.input} ${variant}: max ${err.toExponential(1)} (own 1e-6 sensitivity ${sensitivity.toExponential(1)}), p99 ${p99.toExponential(1)}, delta ${delta.toFixed(4)} vs Captum ${refDelta.toFixed(4)}`);
        assert.ok(err < Math.max(1e-4, 2 * sensitivity), `${variant}: error ${err} beyond float32 conditioning ${sensitivity}`);
        assert.ok(p99 < 2e-3, `${variant}: 99th percentile error ${p99}`);
        assert.ok(Math.abs(delta - refDelta) < 0.02 * gap, `${variant}: delta ${delta} vs ${refDelta}`);
      }
    }
    await model.dispose();
  });
}
