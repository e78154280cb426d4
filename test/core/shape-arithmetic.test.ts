import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { loadModel } from '../../src/node/load.js';
import { computeGradients } from '../../src/autodiff/index.js';
import { getMethod } from '../../src/methods/registry.js';
import '../../src/methods/gradient/index.js';
import { inferElemTypes, inferShapes } from '../../src/onnx/shapes.js';
import { OnnxGraph, type Dim } from '../../src/onnx/graph.js';
import { TensorProto_DataType } from '../../src/onnx/proto.js';
import { makeTensorProto } from '../../src/onnx/tensor-proto.js';
import { emptyModel, randomTensor, relErr, rng, randn, runModel } from '../autodiff/helpers.js';

const runtime = nodeRuntime({ threads: 1 });

/**
 * Conv → Relu → PyTorch's `x.view(x.size(0), -1)` (Shape → Gather → Unsqueeze → Concat → Reshape) → Gemm, plus an
 * integer side path (Equal/Where on the shape, Cast to float of a dim) that ends in the logits as a constant term.
 * `flatten: true` builds the same network with a plain Flatten (the twin).
 */
function viewFlattenModel(flatten: boolean): LumenModel {
  const r = rng(5);
  const g = emptyModel({ input: ['batch', 3, 6, 6] }, 13);
  const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
  const conv = g.op('Conv', ['input', w([4, 3, 3, 3], 0.4), w([4], 0.1)], { pads: { ints: [1, 1, 1, 1] } });
  const relu = g.op('Relu', [conv]);
  let flat: string;
  let extra: string | undefined;
  if (flatten) {
    flat = g.op('Flatten', [relu], { axis: { i: 1 } });
  } else {
    const shape = g.op('Shape', [relu]);
    const n = g.op('Gather', [shape, g.addInitializer(BigInt64Array.of(0n), [], 'zero')], { axis: { i: 0 } });
    const target = g.op('Concat', [g.op('Unsqueeze', [n, g.int64s([0])]), g.int64s([-1])], { axis: { i: 0 } });
    // torch.expand-style Where(Equal(shape, -1), 1, shape): integer and bool tensors on the side
    const ones = g.op('ConstantOfShape', [g.op('Shape', [target])], { value: { t: makeTensorProto('one', BigInt64Array.of(1n), [1]) } });
    const fixed = g.op('Where', [g.op('Equal', [target, g.int64s([-1, -1])]), ones, target]);
    flat = g.op('Reshape', [relu, target]);
    // a float computed from integer shape values: (channels as float) · 0 joins the logits without carrying gradient
    extra = g.op('Mul', [g.op('Cast', [g.op('Gather', [fixed, g.addInitializer(BigInt64Array.of(1n), [], 'one')], { axis: { i: 0 } })], { to: { i: TensorProto_DataType.FLOAT } }), g.scalar(0)]);
  }
  let logits = g.op('Gemm', [flat, w([5, 144], 0.2), w([5], 0.1)], { transB: { i: 1 } });
  if (extra) logits = g.op('Add', [logits, extra]);
  g.setOutputs([logits]);
  return LumenModel.fromProto(g.model, { runtime, source: flatten ? 'flatten' : 'view' });
}


test('element types: shape arithmetic is int64/bool, the network float', () => {
  const model = viewFlattenModel(false);
  const types = inferElemTypes(model.graph);
  const byOp = (op: string): number[] => model.graph.nodes.filter((n) => n.opType === op).map((n) => types.get(n.output[0]!)!);
  assert.deepEqual(byOp('Shape'), [TensorProto_DataType.INT64, TensorProto_DataType.INT64]);
  assert.deepEqual(byOp('Gather'), [TensorProto_DataType.INT64, TensorProto_DataType.INT64]);
  assert.deepEqual(byOp('Equal'), [TensorProto_DataType.BOOL]);
  assert.deepEqual(byOp('Where'), [TensorProto_DataType.INT64]);
  assert.deepEqual(byOp('ConstantOfShape'), [TensorProto_DataType.INT64]);
  assert.deepEqual(byOp('Cast'), [TensorProto_DataType.FLOAT]);
  assert.deepEqual(byOp('Relu'), [TensorProto_DataType.FLOAT]);
});

test('x.view(x.size(0), -1): layers lists only float tensors, gradients flow around the integer side path', async () => {
  const view = viewFlattenModel(false);
  const twin = viewFlattenModel(true);
  const layers = await view.layers();
  assert.deepEqual(layers.map((l) => [l.op, l.shape]), [['Conv', [1, 4, 6, 6]], ['Relu', [1, 4, 6, 6]]]);
  assert.equal(await view.defaultLayer(), layers[1]!.name);
  const x = randomTensor([2, 3, 6, 6], rng(9));
  const [a, b] = [await view.forward(x), await twin.forward(x)];
  assert.ok(relErr(a.logits.data, b.logits.data) < 1e-6);
  const ga = await computeGradients(view, x, { rank: 1 }, { wrt: [view.inputName] });
  const gb = await computeGradients(twin, x, { rank: 1 }, { wrt: [twin.inputName] });
  assert.deepEqual(ga.classes, gb.classes);
  const err = relErr(ga.gradients[view.inputName]!.data, gb.gradients[twin.inputName]!.data);
  assert.ok(err < 1e-6, `gradient vs Flatten twin: ${err}`);
  await Promise.all([view.dispose(), twin.dispose()]);
});

/** A static dim at batch size n: 'N' → n, 'N*16' → 16n. */
function atBatch(d: Dim, n: number): number {
  if (typeof d === 'number') return d;
  return d.split('*').reduce((a, f) => a * (/^\d+$/.test(f) ? Number(f) : f === 'N' ? n : NaN), 1);
}

for (const name of ['tiny_vit', 'tiny_swin', 'tiny_segnet']) {
  test(`${name}: static shapes (shape arithmetic folded, batch symbolic) equal ORT's at batch 2, class count included`, async () => {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    const dims: Dim[] = ['N', ...model.inputDims.slice(1)];
    const shapes = inferShapes(model.graph, { [model.inputName]: dims }, { strict: true });
    const types = inferElemTypes(model.graph);
    const floats = model.graph.nodes.flatMap((n) => n.output.filter((o) => o && types.get(o) === TensorProto_DataType.FLOAT));
    const g = OnnxGraph.copyOf(model.proto);
    g.setOutputs(floats);
    const x = randomTensor([2, ...(model.inputDims.slice(1) as number[])], rng(3));
    const out = await runModel(g, { [model.inputName]: x }, floats);
    for (const t of floats) {
      const ours = shapes.get(t);
      assert.ok(ours, `${t}: no static shape`);
      assert.deepEqual(ours.map((d) => atBatch(d, 2)), [...out[t]!.dims], `${t}: [${ours.join(', ')}]`);
    }
    const logits = shapes.get(model.logitsName)!;
    assert.equal(logits[0], 'N');
    assert.ok(logits.slice(1).every((d) => typeof d === 'number'), `logits [${logits.join(', ')}]`);
    await model.dispose();
  });

  test(`${name}: layers no longer exposes integer tensors as float outputs`, async () => {
    const model = await loadModel(`conformance/models/${name}.onnx`);
    const layers = await model.layers();
    assert.ok(layers.length > 0);
    assert.equal(layers.filter((l) => l.isDefault).length, 1);
    const types = inferElemTypes(model.graph);
    for (const l of layers) assert.equal(types.get(l.name), TensorProto_DataType.FLOAT, l.name);
    await model.dispose();
  });
}

test('a class count only known at run time: the in-graph top-1 seed reads it from the logits\' shape', async () => {
  // logits = Reshape(Gemm, [-1, K]) with K = the length of NonZero's result on a constant: no static value
  const build = (runtimeK: boolean): LumenModel => {
    const r = rng(7);
    const g = emptyModel({ input: ['batch', 3, 6, 6] }, 13);
    const w = (dims: number[], s: number): string => g.addInitializer(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => s * randn(r)), dims);
    const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Relu', [g.op('Conv', ['input', w([4, 3, 3, 3], 0.5), w([4], 0.1)])])])]);
    let logits = g.op('Gemm', [pooled, w([5, 4], 0.5), w([5], 0.1)], { transB: { i: 1 } });
    if (runtimeK) {
      const nz = g.op('NonZero', [g.addInitializer(Float32Array.of(1, 2, 3, 4, 5), [5], 'five')]);
      const k = g.op('Slice', [g.op('Shape', [nz]), g.int64s([1]), g.int64s([2])]);
      logits = g.op('Reshape', [logits, g.op('Concat', [g.int64s([-1]), k], { axis: { i: 0 } })]);
    }
    g.setOutputs([logits]);
    return LumenModel.fromProto(g.model, { runtime, source: runtimeK ? 'runtime-k' : 'static-k' });
  };
  const [dyn, stat] = [build(true), build(false)];
  assert.equal(inferShapes(dyn.graph).get(dyn.logitsName), undefined);
  const x = randomTensor([2, 3, 6, 6], rng(12));
  const a = await computeGradients(dyn, x, { rank: 1 }, { wrt: [dyn.inputName] });
  const b = await computeGradients(stat, x, { rank: 1 }, { wrt: [stat.inputName] });
  assert.deepEqual(a.classes, b.classes);
  assert.ok(relErr(a.gradients[dyn.inputName]!.data, b.gradients[stat.inputName]!.data) < 1e-6);
  // and through the method API, whose target resolution needs the class count too
  const [sa, sb] = [await getMethod('saliency').explain(dyn, x, { target: 'top2' }), await getMethod('saliency').explain(stat, x, { target: 'top2' })];
  assert.ok(relErr(sa.attribution.data, sb.attribution.data) < 1e-6);
  await Promise.all([dyn.dispose(), stat.dispose()]);
});

test('shape folding: ScatterND, Range, Mod and Max on shape tensors give static Reshape targets (batch symbolic), as ORT computes them', async () => {
  const g = emptyModel({ x: ['N', 4, 6, 6] }, 13);
  const shape = g.op('Shape', ['x']);
  // torch's `s = list(x.shape); s[1] = -1`: ScatterND on the shape
  const scattered = g.op('ScatterND', [shape, g.addInitializer(BigInt64Array.of(1n), [1, 1], 'idx'), g.int64s([-1])]);
  const a = g.op('Reshape', ['x', scattered]);
  // [N, 6 mod 4 + max(1, 2, 3) · 2, 12] from Range/Gather/Mod/Max arithmetic
  const six = g.op('Gather', [shape, g.addInitializer(BigInt64Array.of(3n), [], 'three')], { axis: { i: 0 } });
  const r = g.op('Range', [g.addInitializer(BigInt64Array.of(1n), [], 'r0'), g.addInitializer(BigInt64Array.of(4n), [], 'r1'), g.addInitializer(BigInt64Array.of(1n), [], 'r2')]);
  const m = g.op('Max', [g.op('Gather', [r, g.addInitializer(BigInt64Array.of(0n), [], 'i0')], { axis: { i: 0 } }), g.op('Gather', [r, g.addInitializer(BigInt64Array.of(2n), [], 'i2')], { axis: { i: 0 } }), g.addInitializer(BigInt64Array.of(2n), [], 'two')]);
  const mid = g.op('Add', [g.op('Mod', [six, g.addInitializer(BigInt64Array.of(4n), [], 'four')]), g.op('Mul', [m, g.addInitializer(BigInt64Array.of(2n), [], 'two2')])]);
  const target = g.op('Concat', [g.op('Slice', [shape, g.int64s([0]), g.int64s([1])]), g.op('Unsqueeze', [mid, g.int64s([0])]), g.int64s([-1])], { axis: { i: 0 } });
  const b = g.op('Reshape', ['x', target]);
  g.setOutputs([a, b]);
  const shapes = inferShapes(g, undefined, { strict: true });
  assert.deepEqual(shapes.get(a), ['N', 4, 6, 6]);
  assert.deepEqual(shapes.get(b), ['N', 8, 18]);
  const out = await runModel(g, { x: randomTensor([2, 4, 6, 6], rng(1)) }, [a, b]);
  assert.deepEqual([out[a]!.dims, out[b]!.dims], [[2, 4, 6, 6], [2, 8, 18]]);
});
