import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { buildBackwardGraph } from '../../src/autodiff/index.js';
import { isLumenError } from '../../src/errors.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { forwardLogits } from '../../src/methods/gradient/input-gradients.js';
import { decomposeForFloat64 } from '../../src/onnx/float64.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { Tensor } from '../../src/tensor.js';
import { caseDir, manifest, model, readNpy, relErr } from '../helpers/conformance.js';
import { emptyModel, randn, rng, runModel } from './helpers.js';

// float32 model → float64 graph (src/onnx/float64.ts): the rewrites (Conv as im2col, pools as reductions/slice
// sums) and the retyping are checked against float32 ORT, against exact arithmetic and against float64 finite
// differences; Integrated Gradients in float64 against Captum's float64 references.

test('float64 forward equals the float32 model on the conformance models (max rel. ≤ 1e-5)', async () => {
  for (const name of ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg']) {
    const m = await model(name);
    const c = manifest.cases.find((k) => k.model === name)!;
    const x = readNpy(c.input_file);
    const batch = Tensor.concat([x, new Tensor(x.data.map((v) => -0.5 * v), x.dims)]);
    const f32 = (await m.forward(batch)).logits;
    const f64 = await forwardLogits(m, batch, 'float64');
    assert.deepEqual(f64.dims, f32.dims);
    const err = relErr(f64.data, f32.data);
    assert.ok(err < 1e-5, `${name}: ${err}`);
  }
});

/**
 * Values 1 + k·2⁻²³ (full float32 mantissas): a product of two is exact in double (47 bits) but not in float32, and
 * sums of up to 18 such products minus an integer bias stay exact in double, so the conv output is known exactly.
 */
function mantissaValues(n: number, r: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => 1 + Math.floor(r() * 2 ** 22) * 2 ** -23);
}

test('float64 Conv (stride, pads, dilation, groups) is exact where float32 rounds', async () => {
  const r = rng(7);
  const [n, c, h, w, cout, group] = [2, 4, 7, 8, 6, 2];
  const g = emptyModel({ x: [n, c, h, w] });
  const kernel = [3, 2];
  const weight = mantissaValues(cout * (c / group) * kernel[0]! * kernel[1]!, r);
  const bias = Float32Array.from({ length: cout }, (_, i) => -(6 + i)); // near −Σ: the outputs cancel to small values
  const attrs = { strides: { ints: [2, 1] }, pads: { ints: [1, 0, 0, 1] }, dilations: { ints: [1, 2] }, group: { i: group } };
  g.addNode('Conv', ['x', g.addInitializer(weight, [cout, c / group, ...kernel]), g.addInitializer(bias, [cout])], ['y'], attrs);
  g.setOutputs(['y']);
  const x = mantissaValues(n * c * h * w, r);
  const xt = new Tensor(x, [n, c, h, w]);
  const f32 = (await runModel(g, { x: xt }, ['y'])).y!;
  const [ho, wo] = [f32.dims[2]!, f32.dims[3]!];
  // exact reference (every partial sum is exact in double)
  const exact = new Float64Array(f32.size);
  const cg = c / group;
  for (let b = 0; b < n; b++) for (let o = 0; o < cout; o++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    let s = bias[o]!;
    const gi = Math.floor(o / (cout / group));
    for (let ci = 0; ci < cg; ci++) for (let ki = 0; ki < kernel[0]!; ki++) for (let kj = 0; kj < kernel[1]!; kj++) {
      const [y, xx] = [i * 2 - 1 + ki, j - 0 + kj * 2];
      if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
      s += x[((b * c + gi * cg + ci) * h + y) * w + xx]! * weight[((o * cg + ci) * kernel[0]! + ki) * kernel[1]! + kj]!;
    }
    exact[((b * cout + o) * ho + i) * wo + j] = s;
  }
  // the float64 graph with double outputs: exact to the last bit of double
  const built = buildBackwardGraph(g.model, { target: 'y', wrt: ['x'], precision: 'float64', float64IO: true, feedDims: { x: ['N', c, h, w] } });
  const session = await ort.InferenceSession.create(built.graph.toBytes());
  const seed = new Float64Array(f32.size).fill(1);
  const out = await session.run({ x: new ort.Tensor('float64', Float64Array.from(x), [n, c, h, w]), [built.seedInput!]: new ort.Tensor('float64', seed, f32.dims) });
  const y64 = out.y!.data as Float64Array;
  let err64 = 0;
  let err32 = 0;
  for (let k = 0; k < exact.length; k++) {
    err64 = Math.max(err64, Math.abs(y64[k]! - exact[k]!) / Math.abs(exact[k]!));
    err32 = Math.max(err32, Math.abs(f32.data[k]! - exact[k]!) / Math.abs(exact[k]!));
  }
  assert.ok(err64 < 1e-15, `float64 relative error ${err64}`);
  assert.ok(err32 > 1e-7, `float32 should round here (${err32})`); // the case does separate the precisions
  // and through the public path (float32 in and out): the exact value rounded once
  const viaF32 = (await runModel(buildBackwardGraph(g.model, { target: 'y', wrt: ['x'], precision: 'float64', feedDims: { x: ['N', c, h, w] } }).graph, { x: xt, lumen_seed__0: new Tensor(Float32Array.from(seed), f32.dims) }, ['y'])).y!;
  assert.ok(viaF32.data.every((v, k) => v === Math.fround(exact[k]!)));
  await session.release();
});

/** A small float32 net with every rewrite: grouped strided dilated padded Conv, MaxPool, depthwise Conv, AveragePool, GAP. */
function smallNet(r: () => number, ceilMode = 1): OnnxGraph {
  const g = emptyModel({ x: ['N', 4, 11, 10] });
  const w = (dims: number[]): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 0.4 * randn(r)), dims);
  const h1 = g.op('Conv', ['x', w([6, 2, 3, 3]), w([6])], { strides: { ints: [1, 2] }, pads: { ints: [1, 2, 2, 0] }, dilations: { ints: [2, 1] }, group: { i: 2 } });
  const r1 = g.op('Relu', [h1]);
  const p1 = g.op('MaxPool', [r1], { kernel_shape: { ints: [3, 2] }, strides: { ints: [1, 1] }, pads: { ints: [1, 0, 1, 1] } });
  const h2 = g.op('Conv', [p1, w([6, 1, 3, 3])], { pads: { ints: [1, 1, 1, 1] }, group: { i: 6 } });
  const r2 = g.op('Relu', [h2]);
  const h3 = g.op('Conv', [r2, w([5, 6, 1, 1]), w([5])]);
  const a3 = g.op('AveragePool', [h3], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, pads: { ints: [0, 0, 1, 1] }, ceil_mode: { i: ceilMode } });
  const gap = g.op('GlobalAveragePool', [g.op('Relu', [a3])]);
  const flat = g.op('Flatten', [gap]);
  g.addNode('Gemm', [flat, w([3, 5]), w([3])], ['logits'], { transB: { i: 1 } });
  g.setOutputs(['logits']);
  return g;
}

test('float64 gradients equal float64 central finite differences (rel. 1e-9), and float32 gradients to 1e-5', async () => {
  const r = rng(11);
  const g = smallNet(r);
  const dims = [1, 4, 11, 10];
  const per = dims.reduce((a, b) => a * b, 1);
  const x = Float64Array.from({ length: per }, () => randn(r));
  const seedRow = Float64Array.of(0.7, -1.3, 0.4);
  const built = buildBackwardGraph(g.model, { target: 'logits', wrt: ['x'], precision: 'float64', float64IO: true, feedDims: { x: ['N', 4, 11, 10] } });
  assert.ok(built.graph.nodes.every((n) => n.opType !== 'Conv' && n.opType !== 'ConvTranspose' && n.opType !== 'AveragePool' && n.opType !== 'GlobalAveragePool'));
  const session = await ort.InferenceSession.create(built.graph.toBytes());
  // one run: the gradient at x, and the forward at x ± h·e_p for sampled positions p (all rows of one batch)
  const h = 1e-4; // the net is piecewise linear: no truncation error, and roundoff ~ ε·|score|/h
  const positions = Array.from({ length: 40 }, (_, i) => Math.floor(((i + r()) * per) / 40));
  const rows = 1 + 2 * positions.length;
  const batch = new Float64Array(rows * per);
  for (let k = 0; k < rows; k++) batch.set(x, k * per);
  positions.forEach((p, i) => {
    batch[(1 + 2 * i) * per + p] += h;
    batch[(2 + 2 * i) * per + p] -= h;
  });
  const seed = new Float64Array(rows * 3);
  for (let k = 0; k < rows; k++) seed.set(seedRow, k * 3);
  const out = await session.run({ x: new ort.Tensor('float64', batch, [rows, ...dims.slice(1)]), [built.seedInput!]: new ort.Tensor('float64', seed, [rows, 3]) });
  const logits = out.logits!.data as Float64Array;
  const grad = out[built.gradients.x!]!.data as Float64Array;
  const score = (k: number): number => seedRow.reduce((s, v, j) => s + v * logits[k * 3 + j]!, 0);
  let scale = 0;
  for (let p = 0; p < per; p++) scale = Math.max(scale, Math.abs(grad[p]!));
  let worst = 0;
  positions.forEach((p, i) => {
    const fd = (score(1 + 2 * i) - score(2 + 2 * i)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - grad[p]!) / scale);
  });
  assert.ok(scale > 0.01, `gradient scale ${scale}`);
  assert.ok(worst < 1e-9, `finite differences vs float64 gradient: ${worst}`);
  await session.release();
  // the float32 autodiff graph agrees to float32 precision (ceil_mode AveragePool included)
  const plain = smallNet(rng(11));
  const x32 = new Tensor(Float32Array.from(x), dims);
  const seed32 = new Tensor(Float32Array.from(seedRow), [1, 3]);
  const grads: Float32Array[] = [];
  for (const precision of ['float32', 'float64'] as const) {
    const b = buildBackwardGraph(plain.model, { target: 'logits', wrt: ['x'], precision, feedDims: { x: ['N', 4, 11, 10] } });
    grads.push((await runModel(b.graph, { x: x32, [b.seedInput!]: seed32 }, [b.gradients.x!]))[b.gradients.x!]!.data);
  }
  assert.ok(relErr(grads[0]!, grads[1]!) < 1e-5, `float32 vs float64: ${relErr(grads[0]!, grads[1]!)}`);
});

test('float64 top-k seed (OneHot) and an op without a double kernel', async () => {
  const g = smallNet(rng(3));
  const built = buildBackwardGraph(g.model, { target: 'logits', wrt: ['x'], seed: { kind: 'rank', rank: 2 }, precision: 'float64', feedDims: { x: ['N', 4, 11, 10] } });
  const x = new Tensor(Float32Array.from({ length: 440 }, (_, i) => Math.sin(i)), [1, 4, 11, 10]);
  const out = await runModel(built.graph, { x }, ['logits', built.seedClasses!]);
  const row = Array.from(out.logits!.data);
  const second = row.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0])[1]![1];
  assert.equal(out[built.seedClasses!]!.data[0], second);

  const bad = emptyModel({ x: ['N', 1, 2, 2] });
  bad.addNode('Erf', ['x'], ['e']);
  bad.addNode('Flatten', ['e'], ['logits']);
  bad.setOutputs(['logits']);
  assert.throws(() => decomposeForFloat64(bad.model), (e: unknown) => isLumenError(e) && e.code === 'UNSUPPORTED_OP' && /op Erf \(node 'lumen_Erf_node__\d+'\)/.test(e.message));
});

test('Integrated Gradients in float64 matches the float64 Captum references on fashion_cnn fmnist_test0008 (< 1e-4)', async () => {
  await loadAllMethods();
  const m = await model('fashion_cnn');
  const c = manifest.cases.find((k) => k.model === 'fashion_cnn' && k.input === 'fmnist_test0008')!;
  const x = readNpy(c.input_file);
  const ig = getMethod('integrated-gradients');
  for (const method of ['gausslegendre', 'riemann_trapezoid']) {
    const e = await ig.explain(m, x, { target: c.target, steps: 32, method, baseline: 'zeros', internalBatchSize: 32, precision: 'float64' });
    const ref = readNpy(`${caseDir(c)}/IntegratedGradients.${method}_32.npy`);
    const err = relErr(e.attribution.data, ref.data);
    assert.ok(err < 1e-4, `${method}: ${err}`);
    assert.equal(e.extras.precision, 'float64');
    // Captum's convergence delta (float64) too: the float64 forward of the delta agrees (float32 is ~2e-6 off)
    const row = manifest.references.find((k) => k.model === 'fashion_cnn' && k.input === c.input && (k as { variant?: string }).variant === `IntegratedGradients.${method}_32`) as unknown as { convergence_delta: number };
    const delta = (e.extras.convergenceDelta as number[])[0]!;
    assert.ok(Math.abs(delta - row.convergence_delta) < 1e-6, `${method}: delta ${delta} vs ${row.convergence_delta}`);
  }
});

test('float64 rewrites of 1-D and 3-D Conv (auto_pad), GlobalMaxPool with ties: forward and gradient equal float32', async () => {
  const r = rng(5);
  const w = (g: OnnxGraph, dims: number[]): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => 0.5 * randn(r)), dims);
  const nets: { dims: number[]; classes: number; build: (g: OnnxGraph) => string }[] = [
    {
      dims: [2, 3, 13],
      classes: 4,
      build: (g) => {
        const c1 = g.op('Conv', ['x', w(g, [4, 3, 3]), w(g, [4])], { strides: { ints: [2] }, auto_pad: { s: 'SAME_LOWER' } });
        const c2 = g.op('Conv', [g.op('Relu', [c1]), w(g, [4, 4, 2])], { dilations: { ints: [3] }, pads: { ints: [2, 1] } });
        return g.op('GlobalMaxPool', [g.op('Relu', [c2])]);
      },
    },
    {
      dims: [2, 4, 5, 6, 5],
      classes: 4,
      build: (g) => {
        const c1 = g.op('Conv', ['x', w(g, [4, 2, 2, 3, 2])], { group: { i: 2 }, strides: { ints: [1, 2, 1] }, auto_pad: { s: 'SAME_UPPER' } });
        return g.op('GlobalAveragePool', [g.op('Relu', [c1])]);
      },
    },
    {
      // ties: a constant image gives equal values in every GlobalMaxPool window; the gradient goes to the first
      dims: [1, 2, 3, 3],
      classes: 2,
      build: (g) => g.op('GlobalMaxPool', ['x']),
    },
  ];
  for (const { dims, classes, build } of nets) {
    const g = emptyModel({ x: ['N', ...dims.slice(1)] });
    const pooled = build(g);
    g.addNode('Flatten', [pooled], ['logits']);
    g.setOutputs(['logits']);
    const tie = dims.length === 4;
    const x = new Tensor(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (tie ? 0.25 : randn(r))), dims);
    const results: Record<string, Tensor>[] = [];
    for (const precision of ['float32', 'float64'] as const) {
      const b = buildBackwardGraph(g.model, { target: 'logits', wrt: ['x'], precision, feedDims: { x: ['N', ...dims.slice(1)] } });
      const seed = new Tensor(Float32Array.from({ length: dims[0]! * classes }, (_, i) => (i % 3) - 0.7), [dims[0]!, classes]);
      const out = await runModel(b.graph, { x, [b.seedInput!]: seed }, ['logits', b.gradients.x!]);
      results.push({ logits: out.logits!, grad: out[b.gradients.x!]! });
    }
    assert.ok(relErr(results[1]!.logits!.data, results[0]!.logits!.data) < 1e-6, `${dims.length - 2}-D forward`);
    assert.ok(relErr(results[1]!.grad!.data, results[0]!.grad!.data) < 1e-6, `${dims.length - 2}-D gradient`);
    if (tie) assert.deepEqual(Array.from(results[1]!.grad!.data).map((v) => v !== 0), Array.from({ length: 18 }, (_, i) => i % 9 === 0));
  }
});
