import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModel } from '../../src/node/load.js';
import { npyToTensor } from '../../src/io/npy.js';
import { LumenModel } from '../../src/model.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/io.js';
import { emptyGraph } from '../helpers/graphs.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { resolveBatchTargets, resolveTargets, parseTargetSpec } from '../../src/targets/index.js';
import { Tensor } from '../../src/tensor.js';
import { LumenError } from '../../src/errors.js';

interface Case { model: string; input: string; input_file: string; target: number; logits_torch: number[]; top5: number[]; target_kind?: string; mask_file?: string; mask_pixels?: number }
const manifest = JSON.parse(readFileSync('conformance/manifest.json', 'utf8')) as { cases: Case[]; references: { model: string; target_layer_onnx?: string }[] };
const readNpy = (p: string): Tensor => npyToTensor(new Uint8Array(readFileSync(p)));
const isLumen = (code: string, text?: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.code === code && (!text || text.test(e.message));

test('predict equals the reference logits of every conformance case (1e-4)', async () => {
  for (const c of manifest.cases) {
    const model = await loadModel(`conformance/models/${c.model}.onnx`);
    const x = readNpy(`conformance/${c.input_file}`);
    const { logits } = await model.forward(x);
    if (c.target_kind === 'segmentation') {
      // a segmentation case has no class logits: its reference is the mask of the pixels where the category wins
      const own = (await resolveBatchTargets(model, x, { kind: 'segmentation', category: c.target })).seed;
      const [h, w] = own.dims.slice(2) as [number, number];
      const mine = own.data.subarray(c.target * h * w, (c.target + 1) * h * w);
      assert.deepEqual(Array.from(mine), Array.from(readNpy(`conformance/${c.mask_file}`).data));
      assert.equal(mine.reduce((a, v) => a + v, 0), c.mask_pixels);
      await model.dispose();
      continue;
    }
    const worst = Math.max(...c.logits_torch.map((v, i) => Math.abs(v - logits.data[i]!)));
    assert.ok(worst < 1e-4, `${c.model}/${c.input}: max |logit diff| ${worst}`);
    const preds = await model.predict(x, 5);
    assert.deepEqual(preds[0]!.map((p) => p.index), c.top5);
    const probSum = (await model.predict(x, 10))[0]!.reduce((a, p) => a + p.probability, 0);
    assert.ok(Math.abs(probSum - 1) < 1e-5);
    await model.dispose();
  }
});

test('batched predict equals one-by-one', async () => {
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  const inputs = manifest.cases.filter((c) => c.model === 'fashion_cnn').map((c) => readNpy(`conformance/${c.input_file}`));
  const batch = await model.forward(Tensor.concat(inputs));
  for (let i = 0; i < inputs.length; i++) {
    const single = await model.forward(inputs[i]!);
    for (let j = 0; j < 10; j++) assert.ok(Math.abs(single.logits.data[j]! - batch.logits.data[i * 10 + j]!) < 1e-5);
  }
  await model.dispose();
});

test('default layer equals the pytorch-grad-cam target layer of every conformance model', async () => {
  for (const name of ['fashion_cnn', 'tiny_resnet', 'tiny_mobilenet', 'tiny_vgg']) {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    const expected = manifest.references.find((r) => r.model === name && r.target_layer_onnx)!.target_layer_onnx;
    assert.equal(await model.defaultLayer(), expected);
    const layers = await model.layers();
    assert.equal(layers.filter((l) => l.isDefault).length, 1);
    assert.ok(layers.every((l) => l.shape.length === 4));
    await model.dispose();
  }
});

test('a model ending in Softmax is explained at the logits before it', async () => {
  const g = OnnxGraph.copyOf(decodeModel(new Uint8Array(readFileSync('conformance/models/fashion_cnn.onnx'))));
  const logits = g.graph.output[0]!.name;
  g.addNode('Softmax', [logits], ['probs'], { axis: { i: 1 } });
  g.setOutputs(['probs']);
  const model = LumenModel.fromProto(g.model, { runtime: nodeRuntime() });
  assert.equal(model.endsInSoftmax, true);
  assert.equal(model.logitsName, logits);
  const x = readNpy('conformance/inputs/fmnist_test0000.npy');
  const out = await model.forward(x);
  assert.ok(Math.abs(out.logits.data[9]! - manifest.cases[0]!.logits_torch[9]!) < 1e-4);
  await model.dispose();
});

test('targets: index, topk, lists, weights, probability and range errors', () => {
  const logits = new Tensor(Float32Array.of(0.1, 3, 2, /* second image */ 5, 1, 4), [2, 3]);
  assert.deepEqual(resolveTargets('top1', logits).classes, [1, 0]);
  assert.deepEqual(resolveTargets('top2', logits).classes, [2, 2]);
  assert.deepEqual(resolveTargets(2, logits).classes, [2, 2]);
  assert.deepEqual(resolveTargets([0, 1], logits).classes, [0, 1]);
  assert.deepEqual(Array.from(resolveTargets({ weights: [0.5, 0, 0.5] }, logits).seed.data), [0.5, 0, 0.5, 0.5, 0, 0.5]);
  assert.equal(resolveTargets(parseTargetSpec('1:prob'), logits).output, 'probability');
  assert.deepEqual(Array.from(resolveTargets(parseTargetSpec('top1'), logits).seed.data), [0, 1, 0, 1, 0, 0]);
  assert.throws(() => resolveTargets(3, logits), isLumen('TARGET_RANGE', /out of range.*3 classes/));
  assert.throws(() => resolveTargets('top4', logits), isLumen('TARGET_RANGE'));
  assert.throws(() => parseTargetSpec('cat'), isLumen('BAD_OPTION'));
});

test('user mistakes give specific errors', async () => {
  await assert.rejects(loadModel('conformance/models/nope.onnx'), isLumen('FILE_NOT_FOUND', /nope\.onnx/));
  await assert.rejects(loadModel('conformance/README.md'), isLumen('NOT_ONNX'));
  const model = await loadModel('conformance/models/fashion_cnn.onnx');
  await assert.rejects(model.forward(Tensor.zeros([1, 3, 28, 28])), isLumen('INPUT_SHAPE', /\[1, 3, 28, 28\].*\[batch, 1, 28, 28\]/));
  await assert.rejects(model.resolveLayers('/features/features.5/features.5.2/Relu_output'), isLumen('UNKNOWN_LAYER', /Relu_output_0/));
  await model.dispose();
  // A model whose input is not an image.
  const g = emptyGraph();
  g.addInput('x', ['batch', 10]);
  g.addNode('Relu', ['x'], ['y']);
  g.addOutput('y', ['batch', 10]);
  // A feature-vector model loads (src/methods/tabular explains it) and refuses an image with a specific message.
  const tabular = LumenModel.fromProto(g.model, { runtime: nodeRuntime() });
  assert.equal(tabular.inputKind, 'features');
  await assert.rejects(tabular.forward(Tensor.zeros([1, 3, 28, 28])), isLumen('UNSUPPORTED_MODEL', /feature-vector model.*x' \[batch, 10\].*lumen pdp/));
  await assert.rejects(tabular.forward(Tensor.zeros([2, 9])), isLumen('INPUT_SHAPE', /\[2, 9\]/));
  await tabular.dispose();
  // Neither an image nor one feature vector: a 3-D input.
  g.graph.input.splice(0);
  g.addInput('x', ['batch', 10, 2]);
  assert.throws(() => LumenModel.fromProto(g.model, { runtime: nodeRuntime() }), isLumen('UNSUPPORTED_MODEL', /4-D image input.*one \[N, F\] input.*x \[batch, 10, 2\]/));
});

test('forwardMasked equals the forward pass of inputs composited in JS (plain and with a baseline)', async () => {
  const model = await loadModel('conformance/models/tiny_resnet.onnx');
  const x = readNpy('conformance/inputs/chelsea64.npy');
  const [, c, h, w] = x.dims as [number, number, number, number];
  const n = 3;
  const masks = new Float32Array(n * h * w).map((_, i) => ((i * 7919) % 13) / 12);
  const baseline = new Tensor(new Float32Array(x.size).map((_, i) => Math.sin(i) * 0.5), x.dims);
  for (const base of [0, baseline] as const) {
    const composed = new Float32Array(n * x.size);
    for (let k = 0; k < n; k++) {
      for (let ch = 0; ch < c; ch++) {
        for (let p = 0; p < h * w; p++) {
          const j = ch * h * w + p;
          const b = typeof base === 'number' ? base : base.data[j]!;
          composed[k * x.size + j] = Math.fround(b + Math.fround(masks[k * h * w + p]! * Math.fround(x.data[j]! - b)));
        }
      }
    }
    const want = (await model.forward(new Tensor(composed, [n, c, h, w]))).logits;
    const got = await model.forwardMasked(x, new Tensor(masks, [n, 1, h, w]), base);
    assert.deepEqual(got.dims, [n, 10]);
    const worst = Math.max(...Array.from(got.data, (v, i) => Math.abs(v - want.data[i]!)));
    assert.ok(worst < 1e-5, `${typeof base === 'number' ? 'plain' : 'baseline'}: max |logit diff| ${worst}`);
  }
  await assert.rejects(model.forwardMasked(x, new Tensor(new Float32Array(n * c * h * w), [n, c, h, w])), isLumen('INPUT_SHAPE', /masks must be \[3, 1, 64, 64\]/));
  await model.dispose();
});

/** tiny_resnet with its input's height and width left open (as fully convolutional exports and Keras' (None, None, 3)). */
function withInputDims(dims: (number | string)[]): Uint8Array {
  const proto = decodeModel(new Uint8Array(readFileSync('conformance/models/tiny_resnet.onnx')));
  const g = new OnnxGraph(proto);
  const shape = g.graph.input[0]!.type!.value.value as { shape: { dim: { value: { case: 'dimValue'; value: bigint } | { case: 'dimParam'; value: string } }[] } };
  dims.forEach((d, i) => {
    shape.shape.dim[i]!.value = typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d };
  });
  return g.toBytes();
}

test('a model with an open spatial size: layers, CAMs and gradients work at the input size and equal the fixed-size model', async () => {
  const runtime = nodeRuntime({ threads: 1 });
  const open = LumenModel.fromBytes(withInputDims(['N', 3, 'H', 'W']), { runtime, source: 'open' });
  const fixed = LumenModel.fromBytes(withInputDims(['N', 3, 40, 48]), { runtime, source: 'fixed' });
  assert.equal(open.dynamicSpatialSize, true);
  assert.equal(fixed.dynamicSpatialSize, false);
  const x = new Tensor(Float32Array.from({ length: 2 * 3 * 40 * 48 }, (_, i) => Math.sin(i * 0.37)), [2, 3, 40, 48]);
  // shapes at the probe size without an input, at the input's size with one
  const probe = (await open.layers()).find((l) => l.isDefault)!;
  const atInput = (await open.layers(x)).find((l) => l.isDefault)!;
  const reference = (await fixed.layers()).find((l) => l.isDefault)!;
  assert.equal(probe.name, reference.name);
  assert.deepEqual(atInput.shape, reference.shape);
  assert.notDeepEqual(probe.shape, reference.shape, 'probe shapes are at 224×224');
  assert.equal(open.zeroInput().dims.join(','), '1,3,224,224');
  // an open channel count cannot be guessed: a specific error, not a probe of some size
  const openChannels = LumenModel.fromBytes(withInputDims(['N', 'C', 40, 48]), { runtime, source: 'open-channels' });
  assert.throws(() => openChannels.zeroInput(), isLumen('UNSUPPORTED_MODEL', /open-channels: the input's channel count is not fixed/));
  const { loadAllMethods, getMethod } = await import('../../src/index.js');
  await loadAllMethods();
  for (const id of ['gradcam', 'scorecam', 'layer-gradcam', 'saliency']) {
    const a = await getMethod(id).explain(open, x);
    const b = await getMethod(id).explain(fixed, x);
    assert.deepEqual(a.attribution.dims, b.attribution.dims, id);
    assert.deepEqual(a.targets, b.targets, id);
    let worst = 0;
    for (let i = 0; i < a.attribution.size; i++) worst = Math.max(worst, Math.abs(a.attribution.data[i]! - b.attribution.data[i]!));
    assert.ok(worst < 1e-5, `${id}: max difference ${worst}`);
  }
  await open.dispose();
  await fixed.dispose();
});

test('batch runs with an open input size: images of different sizes are explained at their own size, in batches per size', async (t) => {
  const { mkdtempSync, rmSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writePng } = await import('../../src/node/image-file.js');
  const { explainFiles } = await import('../../src/node/explain-files.js');
  const { parseNpy } = await import('../../src/io/npy.js');
  const { getMethod, loadAllMethods } = await import('../../src/index.js');
  await loadAllMethods();
  const dir = mkdtempSync(join(tmpdir(), 'lumen-open-size-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const sizes: [number, number][] = [[40, 48], [32, 32], [40, 48]];
  const files: string[] = [];
  for (const [k, [h, w]] of sizes.entries()) {
    const data = Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * (k + 3) * 37) % 251);
    files.push(join(dir, `${k}.png`));
    await writePng(files[k]!, { width: w, height: h, channels: 3, data });
  }
  const model = LumenModel.fromBytes(withInputDims(['N', 3, 'H', 'W']), { runtime: nodeRuntime({ threads: 1 }), source: 'open' });
  const out = join(dir, 'out');
  const result = await explainFiles(model, files, { methods: [getMethod('gradcam'), getMethod('saliency')], targets: ['top1'], methodOptions: () => ({}), outDir: out, npy: true, grid: true });
  await model.dispose();
  assert.equal(result.failed, 0, JSON.stringify(result.rows.filter((r) => r.status === 'error')));
  assert.equal(result.rows.length, 6);
  for (const row of result.rows) {
    const [h, w] = sizes[files.indexOf(row.input)]!;
    const attr = parseNpy(new Uint8Array(readFileSync(join(out, row.npy!))));
    assert.deepEqual(attr.shape.slice(-2), [h, w], `${row.method} of ${row.input}`);
    assert.equal(row.batch, h === 40 ? 2 : 1, 'images of one size share a batch');
  }
  assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('grid-')).sort(), ['grid-00000-1.png', 'grid-00000-2.png']);
});
