import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { getMethod } from '../../src/api.js';
import { buildBackwardGraph } from '../../src/autodiff/builder.js';
import { chainModel } from '../../src/bench/scale.js';
import { LumenError } from '../../src/errors.js';
import { LumenModel } from '../../src/model.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { OperatorSetIdProtoSchema, TensorProto_DataType } from '../../src/onnx/proto.js';
import { defaultSegmentNodes, failedAtCut, MAX_SEGMENTS, planSegmentRun, SEGMENT_MIN_NODES, SEGMENT_NODES, segmentGraph, type SegmentRunPlan } from '../../src/runtime/segment.js';
import type { Runtime, SegmentedModel, SessionSettings } from '../../src/runtime/types.js';
import { createOrtRuntime, LARGE_GRAPH_NODES, ortSessionOptions, type OrtModule } from '../../src/runtime/ort.js';
import type { InferenceSession } from 'onnxruntime-common';
import { Tensor } from '../../src/tensor.js';
import { emptyModel } from '../autodiff/helpers.js';

// Segmented sessions (issue 23): a very long graph is compiled as consecutive segments, one ORT session each, run in
// order. Structure, results (against the one-session graph) and error messages; no timing.

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const runtime = nodeRuntime({ threads: 1, graphOptimizationLevel: 'basic' });

/** Every segment is at most `max` nodes, the segments are the graph's nodes in order, and every value a segment reads comes from a graph input, an earlier segment or its own nodes. */
function assertWellCut(graph: OnnxGraph, seg: SegmentedModel, max: number): void {
  assert.ok(seg.segments.length >= 2);
  assert.ok(seg.segments.every((s) => s.nodes <= max && s.nodes >= 1));
  // every node, less those no output depends on (ORT would prune them)
  const total = seg.segments.reduce((a, s) => a + s.nodes, 0);
  assert.ok(total <= graph.nodes.length && total >= graph.nodes.length - 2, `${total} of ${graph.nodes.length} nodes`);
  const available = new Set(seg.inputNames);
  for (const s of seg.segments) {
    for (const i of s.inputs) assert.ok(available.has(i), `segment input '${i}' is computed by no earlier segment`);
    for (const o of s.outputs) available.add(o);
  }
  for (const o of seg.outputNames) assert.ok(available.has(o));
}

async function runWhole(graph: OnnxGraph, feeds: Record<string, Tensor>, fetch: string[]): Promise<Record<string, Tensor>> {
  const session = await runtime.createSession(graph.toBytes());
  try {
    return await session.run(feeds, fetch);
  } finally {
    await session.dispose();
  }
}

async function runSegmented(seg: SegmentedModel, feeds: Record<string, Tensor>, fetch: string[]): Promise<Record<string, Tensor>> {
  const session = await runtime.createSession(seg);
  try {
    assert.deepEqual(session.inputNames, seg.inputNames);
    return await session.run(feeds, fetch);
  } finally {
    await session.dispose();
  }
}

/** A conv Relu chain of about `nodes` forward nodes, and its Saliency graph that also outputs the last activation. */
function chainSaliency(nodes: number): { chain: ReturnType<typeof chainModel>; model: LumenModel; built: ReturnType<typeof buildBackwardGraph> } {
  const chain = chainModel(nodes, 'Relu', 'conv');
  const model = LumenModel.fromBytes(chain.bytes, { runtime, source: 'chain' });
  const built = buildBackwardGraph(model.proto, {
    target: chain.logits,
    wrt: [chain.inputName],
    fetch: [chain.camLayer],
    seed: { kind: 'rank', rank: 1 },
    feedDims: { [chain.inputName]: ['N', ...chain.inputDims.slice(1)] },
  });
  return { chain, model, built };
}

test('a long conv chain Saliency graph cut into segments of at most S nodes gives bit-identical gradients', async () => {
  const { chain, model, built } = chainSaliency(1200);
  for (const S of [300, 1000]) {
    const seg = segmentGraph(built.graph, S)!;
    assertWellCut(built.graph, seg, S);
    assert.ok(seg.segments.length >= Math.ceil(built.graph.nodes.length / S));
    const input = new Tensor(Float32Array.from({ length: 2 * 4 * 36 }, (_, i) => Math.sin(0.3 * i)), [2, 4, 6, 6]);
    const grad = built.gradients[chain.inputName]!;
    const fetch = [grad, chain.camLayer, chain.logits];
    const whole = await runWhole(built.graph, { [chain.inputName]: input }, fetch);
    const parts = await runSegmented(seg, { [chain.inputName]: input }, fetch);
    for (const name of fetch) {
      assert.deepEqual(parts[name]!.dims, whole[name]!.dims);
      assert.deepEqual(parts[name]!.data, whole[name]!.data, `${name} differs at S = ${S}`);
    }
    assert.ok(whole[grad]!.data.some((v) => v !== 0));
    // fetching only the forward activation runs only the segments it needs, and gives the same values
    const early = await runSegmented(seg, { [chain.inputName]: input }, [chain.camLayer]);
    assert.deepEqual(Object.keys(early), [chain.camLayer]);
    assert.deepEqual(early[chain.camLayer]!.data, whole[chain.camLayer]!.data);
  }
  await model.dispose();
});

/**
 * Walk a run plan as SegmentedOrtSession does, with names for values: every value a step reads is alive then (fed or
 * returned by an earlier step, not yet released), each value is released right after the last step that reads it and
 * never before, a fetched value never, and at the end only the fetched values are left.
 */
function assertReleases(seg: SegmentedModel, plan: SegmentRunPlan, wanted: readonly string[]): void {
  const lastReader = new Map<number, number>();
  plan.steps.forEach((step, i) => step.inputSlots.forEach((s) => lastReader.set(s, i)));
  const live = new Set<number>();
  for (const name of seg.inputNames) if (plan.slotOf.has(name)) live.add(plan.slotOf.get(name)!);
  const released = new Set<number>();
  plan.steps.forEach((step, i) => {
    assert.ok(i === 0 || step.segment > plan.steps[i - 1]!.segment, 'steps run in segment order');
    assert.deepEqual(step.inputs, seg.segments[step.segment]!.inputs);
    step.inputs.forEach((name, j) => {
      const s = step.inputSlots[j]!;
      assert.equal(plan.names[s], name);
      assert.ok(live.has(s), `step ${i} reads '${name}', which is not alive (released early or never made)`);
    });
    step.outputs.forEach((name, j) => {
      assert.equal(plan.names[step.outputSlots[j]!], name);
      assert.ok(seg.segments[step.segment]!.outputs.includes(name));
      live.add(step.outputSlots[j]!);
    });
    for (const s of step.release) {
      assert.equal(lastReader.get(s), i, `'${plan.names[s]}' is released at step ${i}, its last reader is step ${lastReader.get(s)}`);
      assert.ok(!released.has(s));
      assert.ok(!wanted.includes(plan.names[s]!), `fetched '${plan.names[s]}' released`);
      released.add(s);
      live.delete(s);
    }
  });
  // nothing read is kept past its last reader, and every fetched value is there at the end
  assert.deepEqual([...live].map((s) => plan.names[s]).sort(), [...wanted].sort());
  assert.deepEqual(plan.wantedSlots.map((s) => plan.names[s]), [...wanted]);
}

test('a segmented run releases each value right after its last reader, not before, and keeps only the fetches', async () => {
  const { chain, model, built } = chainSaliency(600);
  const seg = segmentGraph(built.graph, 200)!;
  const grad = built.gradients[chain.inputName]!;
  for (const wanted of [[grad, chain.camLayer, chain.logits], [grad], [chain.camLayer]]) {
    const plan = planSegmentRun(seg, wanted);
    assertReleases(seg, plan, wanted);
    // forward values the backward pass reads are handed on: some are released by later steps than the one after
    // they are made (otherwise the release logic is not exercised)
    if (wanted.includes(grad)) {
      assert.equal(plan.steps.length, seg.segments.length);
      assert.ok(plan.steps.some((step, i) => i > 1 && step.release.length > 1));
    }
  }
  // a forward activation alone: only the segments before it run, and the ones after are not planned at all
  const early = planSegmentRun(seg, [chain.camLayer]);
  assert.ok(early.steps.length < seg.segments.length);
  assert.ok(!early.steps.some((step) => step.outputs.includes(grad)));
  // a fetch list is passed only where a segment's outputs are not all wanted
  for (const step of early.steps) assert.equal(step.fetch === undefined, step.outputs.length === seg.segments[step.segment]!.outputs.length);
  await model.dispose();
});

test('a run plan by hand: a fetched value that later segments read is kept, the others go after their last reader', () => {
  // x → A → a, b;  a → B → c, e;  a, b, c → C → d;  e → D → f (nothing wanted needs D)
  const seg: SegmentedModel = {
    kind: 'segmented',
    inputNames: ['x'],
    outputNames: ['a', 'd', 'f'],
    segments: [
      { bytes: new Uint8Array(), inputs: ['x'], outputs: ['a', 'b'], nodes: 2 },
      { bytes: new Uint8Array(), inputs: ['a'], outputs: ['c', 'e'], nodes: 2 },
      { bytes: new Uint8Array(), inputs: ['a', 'b', 'c'], outputs: ['d'], nodes: 2 },
      { bytes: new Uint8Array(), inputs: ['e'], outputs: ['f'], nodes: 2 },
    ],
  };
  const wanted = ['a', 'd'];
  const plan = planSegmentRun(seg, wanted);
  assertReleases(seg, plan, wanted);
  assert.deepEqual(plan.steps.map((s) => s.segment), [0, 1, 2]);
  assert.deepEqual(plan.steps.map((s) => s.release.map((r) => plan.names[r]).sort()), [['x'], [], ['b', 'c']]);
  // B is asked only for c (a fetch list); A and C for all their outputs (none)
  assert.deepEqual(plan.steps.map((s) => s.fetch), [undefined, ['c'], undefined]);
  const all = planSegmentRun(seg, seg.outputNames);
  assertReleases(seg, all, seg.outputNames);
  assert.deepEqual(all.steps.map((s) => s.release.map((r) => all.names[r]).sort()), [['x'], [], ['b', 'c'], ['e']]);
});

test('graphs below SEGMENT_MIN_NODES, or not longer than the segment size, are not cut', () => {
  // segments run at 'basic' (bit-identical to the whole graph); DenseNet-121's Saliency graph, the longest real
  // model's measured, has 1 976 nodes: far below
  assert.ok(SEGMENT_MIN_NODES > SEGMENT_NODES && SEGMENT_MIN_NODES >= LARGE_GRAPH_NODES && SEGMENT_MIN_NODES >= 20_000);
  assert.equal(defaultSegmentNodes(SEGMENT_MIN_NODES - 1), 0);
  assert.equal(defaultSegmentNodes(2_000), 0);
  assert.equal(defaultSegmentNodes(SEGMENT_MIN_NODES), SEGMENT_NODES);
  // at most MAX_SEGMENTS sessions (each has its own thread pool)
  assert.equal(defaultSegmentNodes(10 * MAX_SEGMENTS * SEGMENT_NODES), 10 * SEGMENT_NODES);
  const g = emptyModel({ x: ['N', 4] });
  let y = 'x';
  for (let i = 0; i < 10; i++) y = g.op('Relu', [y]);
  g.setOutputs([y]);
  assert.equal(segmentGraph(g, 10), undefined);
  assert.equal(segmentGraph(g, 0), undefined);
  assert.ok(segmentGraph(g, 9));
});

/** A runtime that records what each createSession received (bytes: 'whole', a segmented graph: its segment count). */
function recording(inner: Runtime): { runtime: Runtime; seen: (number | 'whole')[] } {
  const seen: (number | 'whole')[] = [];
  return {
    seen,
    runtime: {
      name: 'recording',
      segments: true,
      createSession: (model, settings) => {
        seen.push(model instanceof Uint8Array ? 'whole' : model.segments.length);
        return inner.createSession(model, settings);
      },
    },
  };
}

test('a real model forced through segmentation (segmentNodes: 7) gives the one-session results; by default it is one session', async () => {
  const path = join(ROOT, 'conformance', 'models', 'tiny_resnet.onnx');
  const bytes = new Uint8Array(readFileSync(path));
  const x = new Tensor(Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(0.11 * i) + 0.2 * Math.cos(0.037 * i)), [2, 3, 64, 64]);
  // 'basic' (the level of graphs long enough to be cut): the same kernels run, results are bit-identical; at 'all'
  // ORT fuses nodes that a cut separates (Conv + Relu), which round differently
  for (const [level, tolerance] of [['basic', 0], ['all', 1e-5]] as const) {
    const one = recording(nodeRuntime({ threads: 1, graphOptimizationLevel: level }));
    const cut = recording(nodeRuntime({ threads: 1, graphOptimizationLevel: level }));
    const whole = LumenModel.fromBytes(bytes, { runtime: one.runtime, source: 'tiny_resnet' });
    const parts = LumenModel.fromBytes(bytes, { runtime: cut.runtime, source: 'tiny_resnet', session: { segmentNodes: 7 } });
    assert.deepEqual(whole.inputDims.slice(1), [3, 64, 64]);
    for (const method of ['saliency', 'gradcam', 'integrated-gradients']) {
      const options = method === 'integrated-gradients' ? { steps: 4 } : {};
      const a = await getMethod(method).explain(whole, x, options);
      const b = await getMethod(method).explain(parts, x, options);
      assert.deepEqual(b.targets, a.targets);
      const scale = Math.max(...a.attribution.data.map(Math.abs));
      assert.ok(scale > 0);
      let diff = 0;
      a.attribution.data.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - b.attribution.data[i]!))));
      assert.ok(diff <= tolerance * scale, `${level} ${method}: max |Δ| ${diff} vs max ${scale}`);
    }
    assert.ok(one.seen.length >= 2 && one.seen.every((s) => s === 'whole'), `default: one session per graph, got ${one.seen.join(', ')}`);
    assert.ok(cut.seen.length >= 2 && cut.seen.every((s) => typeof s === 'number' && s >= 5), `segmentNodes 7: ${cut.seen.join(', ')}`);
    await whole.dispose();
    await parts.dispose();
  }
});

/** x → 30 × (Relu, Neg) → Greater(·, 0) (bool) → … → Where(mask, a, b) → Reshape(·, target): a bool crossing cuts, a failing last node. */
function maskedChain(reshapeTo: number[]): { graph: OnnxGraph; out: string; reshape: string } {
  const g = emptyModel({ x: ['N', 6] });
  let y = 'x';
  for (let i = 0; i < 10; i++) y = g.op('Neg', [g.op('Relu', [y])]);
  const mask = g.op('Greater', [y, g.scalar(-0.25)]);
  const shape = g.op('Shape', [y]);
  let z = y;
  for (let i = 0; i < 20; i++) z = g.op('Sin', [z]);
  const picked = g.op('Where', [mask, z, g.op('Neg', [z])]);
  const flat = g.op('Reshape', [g.op('Reshape', [picked, shape]), g.int64s(reshapeTo)]);
  g.setOutputs([flat]);
  const reshape = g.nodes.at(-1)!;
  reshape.name = 'the_last_reshape';
  return { graph: g, out: flat, reshape: reshape.name };
}

test('bool and int64 values cross segment boundaries as they are', async () => {
  const { graph, out } = maskedChain([-1]);
  const seg = segmentGraph(graph, 8)!;
  assertWellCut(graph, seg, 8);
  // the mask and the shape are handed across at least one cut
  const crossing = seg.segments.flatMap((s) => s.inputs);
  assert.ok(crossing.includes(graph.nodes.find((n) => n.opType === 'Greater')!.output[0]!));
  assert.ok(crossing.includes(graph.nodes.find((n) => n.opType === 'Shape')!.output[0]!));
  const x = new Tensor(Float32Array.from({ length: 18 }, (_, i) => Math.sin(1.7 * i)), [3, 6]);
  const a = await runWhole(graph, { x }, [out]);
  const b = await runSegmented(seg, { x }, [out]);
  assert.deepEqual(b[out]!.data, a[out]!.data);
  assert.deepEqual(b[out]!.dims, [18]);
});

test('an ORT failure inside a segment names the node, its op and the input shapes, as for one session', async () => {
  const { graph, reshape } = maskedChain([5, -1]);
  const seg = segmentGraph(graph, 8)!;
  const x = new Tensor(new Float32Array(18), [3, 6]);
  const session = await runtime.createSession(seg);
  const err = await session.run({ x }).then(() => undefined, (e: unknown) => e);
  await session.dispose();
  assert.ok(err instanceof LumenError, String(err));
  assert.match(err.message, new RegExp(`op Reshape, node '${reshape}'`));
  assert.match(err.message, /on input x \[3, 6\]/);
  // session creation: an op ORT does not know, in a later segment
  const bad = maskedChain([-1]).graph;
  bad.nodes[25]!.opType = 'FrobnicateXYZ';
  bad.nodes[25]!.name = 'frob';
  const created = await runtime.createSession(segmentGraph(bad, 8)!).then(() => undefined, (e: unknown) => e);
  assert.ok(created instanceof LumenError, String(created));
  assert.match(created.message, /FrobnicateXYZ/);
  assert.match(created.message, /'frob'/);
});

test('a value of unknown element type is never cut from its readers', () => {
  const g = emptyModel({ x: ['N', 4] });
  let y = 'x';
  for (let i = 0; i < 6; i++) y = g.op('Relu', [y]);
  // a Constant without a value attribute: Lumen cannot tell its element type (node 6, read by node 10)
  const [unknown] = g.addNode('Constant', [], 1, {});
  for (let i = 0; i < 3; i++) y = g.op('Relu', [y]);
  y = g.op('Add', [y, unknown!]);
  for (let i = 0; i < 10; i++) y = g.op('Relu', [y]);
  g.setOutputs([y]);
  const seg = segmentGraph(g, 8)!;
  assertWellCut(g, seg, 8);
  for (const s of seg.segments) assert.ok(!s.inputs.includes(unknown!));
  // with segments of 2, a cut would have to fall between node 6 and node 10: the graph is compiled whole
  assert.equal(segmentGraph(g, 2), undefined);
});

test('a segment whose values nothing reads (a dead branch) gets no session', async () => {
  const g = emptyModel({ x: ['N', 4] });
  let y = 'x';
  for (let i = 0; i < 6; i++) y = g.op('Relu', [y]);
  let dead = y;
  for (let i = 0; i < 12; i++) dead = g.op('Sin', [dead]);
  for (let i = 0; i < 6; i++) y = g.op('Neg', [y]);
  g.setOutputs([y]);
  const seg = segmentGraph(g, 6)!;
  assert.ok(seg.segments.every((s) => s.outputs.length > 0 && s.nodes <= 6));
  // the 12 Sin nodes feed nothing: only the Relu and Neg nodes are compiled
  assert.equal(seg.segments.reduce((a, s) => a + s.nodes, 0), 12);
  const x = new Tensor(Float32Array.from({ length: 8 }, (_, i) => i - 3.5), [2, 4]);
  assert.deepEqual((await runSegmented(seg, { x }, [y]))[y]!.data, (await runWhole(g, { x }, [y]))[y]!.data);
});

test('a runtime that does not declare `segments` gets every graph whole', async () => {
  const inner = recording(nodeRuntime({ threads: 1 }));
  const plain: Runtime = { name: 'plain', createSession: (model, settings) => inner.runtime.createSession(model, settings) };
  const g = emptyModel({ x: ['N', 4] });
  let y = 'x';
  for (let i = 0; i < 20; i++) y = g.op('Relu', [y]);
  g.setOutputs([y]);
  const model = LumenModel.fromBytes(g.toBytes(), { runtime: plain, source: 'relu20', session: { segmentNodes: 5 } });
  await model.session('graph', () => OnnxGraph.copyOf(model.proto));
  const cut = LumenModel.fromBytes(g.toBytes(), { runtime: inner.runtime, source: 'relu20', session: { segmentNodes: 5 } });
  await cut.session('graph', () => OnnxGraph.copyOf(cut.proto));
  assert.deepEqual(inner.seen, ['whole', 4]); // 20 nodes in segments of 5
  await model.dispose();
  await cut.dispose();
});

test('onnxruntime-web (WebAssembly, in Node) runs a segmented graph to the same gradients', async () => {
  const ortWeb = await import('onnxruntime-web');
  ortWeb.env.wasm.numThreads = 1;
  const web = createOrtRuntime(ortWeb as unknown as OrtModule, 'onnxruntime-web', { executionProviders: ['wasm'], graphOptimizationLevel: 'basic' });
  assert.equal(web.segments, true);
  const chain = chainModel(400, 'Relu', 'conv');
  const model = LumenModel.fromBytes(chain.bytes, { runtime, source: 'chain' });
  const built = buildBackwardGraph(model.proto, { target: chain.logits, wrt: [chain.inputName], seed: { kind: 'rank', rank: 1 }, feedDims: { [chain.inputName]: ['N', 4, 6, 6] } });
  const seg = segmentGraph(built.graph, 100)!;
  assertWellCut(built.graph, seg, 100);
  const grad = built.gradients[chain.inputName]!;
  const x = new Tensor(Float32Array.from({ length: 144 }, (_, i) => Math.sin(i)), [1, 4, 6, 6]);
  const results = [];
  for (const source of [built.graph.toBytes(), seg]) {
    const session = await web.createSession(source);
    results.push((await session.run({ [chain.inputName]: x }, [grad]))[grad]!);
    await session.dispose();
  }
  const [whole, parts] = results as [Tensor, Tensor];
  assert.ok(whole.data.some((v) => v !== 0));
  assert.deepEqual(parts.data, whole.data);
  await model.dispose();
});

/**
 * x → Cast(int64) → ai.onnx.ml.Scaler (float out, but Lumen types an op it does not know by its int64 input) → 10 × Relu;
 * `everyOutput`: each Relu's output is a graph output too (so the values handed across cuts are graph outputs).
 */
function mistypedChain(everyOutput = false): { graph: OnnxGraph; out: string; scaled: string } {
  const g = emptyModel({ x: ['N', 4] });
  g.model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'ai.onnx.ml', version: 3n }));
  const [scaled] = g.addNode('Scaler', [g.op('Cast', ['x'], { to: { i: TensorProto_DataType.INT64 } })], 1, { scale: { floats: [0.5] }, offset: { floats: [1] } }, 'ai.onnx.ml');
  let y = scaled!;
  const relus: string[] = [];
  for (let i = 0; i < 10; i++) relus.push((y = g.op('Relu', [y])));
  g.setOutputs(everyOutput ? relus : [y]);
  return { graph: g, out: y, scaled: scaled! };
}

test('a segmented graph that fails at a cut (a handed-on value Lumen mistyped) is compiled whole', async () => {
  // everyOutput: the values handed across cuts are graph outputs too; the segments declare them typed where they are
  // made, as any handed-on value (declared untyped there, the reading segment failed naming only a Relu node, and no
  // fallback ran)
  for (const everyOutput of [false, true]) {
    const { graph, out } = mistypedChain(everyOutput);
    const seg = segmentGraph(graph, 4)!;
    if (everyOutput) assert.ok(seg.segments.some((s) => s.inputs.some((name) => graph.graph.output.some((o) => o.name === name))));
    // the segments declare a Relu output after the Scaler as int64: ORT refuses them, naming that value
    const err = await runtime.createSession(seg).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof LumenError && failedAtCut(err, seg), String(err));
    const rec = recording(nodeRuntime({ threads: 1 }));
    const model = LumenModel.fromBytes(graph.toBytes(), { runtime: rec.runtime, source: 'scaler', session: { segmentNodes: 4 } });
    const session = await model.session('graph', () => OnnxGraph.copyOf(model.proto));
    const x = new Tensor(Float32Array.from({ length: 8 }, (_, i) => i - 4), [2, 4]);
    const got = (await session.run({ x }, [out]))[out]!;
    assert.deepEqual(got.data, (await runWhole(graph, { x }, [out]))[out]!.data);
    assert.deepEqual([...got.data], [0, 0, 0, 0, 0, 0, 0.5, 1]); // Relu((x − 1) · 0.5)
    assert.deepEqual(rec.seen, [seg.segments.length, 'whole']);
    await model.dispose();
  }
});

test('a broken long graph is compiled once, and its own error names the node and op (at a run, the shapes too)', async () => {
  const broken = (op: 'FrobnicateXYZ' | 'MatMul'): OnnxGraph => {
    const g = emptyModel({ x: ['N', 4] });
    let y = 'x';
    for (let i = 0; i < 40; i++) {
      // node 25: an op ORT does not know, or a MatMul whose weight does not fit [N, 4]
      y = i !== 25 ? g.op('Sin', [y]) : op === 'MatMul' ? g.op('MatMul', [y, g.addInitializer(new Float32Array(15), [5, 3])]) : g.op(op, [y]);
      if (i === 25) g.nodes.at(-1)!.name = 'frob';
    }
    g.setOutputs([y]);
    return g;
  };
  const load = (g: OnnxGraph): { model: LumenModel; seen: (number | 'whole')[] } => {
    const rec = recording(nodeRuntime({ threads: 1 }));
    return { model: LumenModel.fromBytes(g.toBytes(), { runtime: rec.runtime, source: 'broken', session: { segmentNodes: 10 } }), seen: rec.seen };
  };
  // an unknown op: the segments fail, and the whole graph is not compiled only to fail again
  const unknown = load(broken('FrobnicateXYZ'));
  const err = await unknown.model.session('graph', () => OnnxGraph.copyOf(unknown.model.proto)).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof LumenError, String(err));
  assert.match(err.message, /op FrobnicateXYZ, node 'frob'/);
  assert.ok(!failedAtCut(err, segmentGraph(OnnxGraph.copyOf(unknown.model.proto), 10)!));
  assert.deepEqual(unknown.seen, [4]);
  await unknown.model.dispose();
  // sizes that do not fit: the segment reads a handed-on value of open shape, so ORT finds it at the run, naming the
  // node, the op and the caller's input shape
  const misfit = load(broken('MatMul'));
  const session = await misfit.model.session('graph', () => OnnxGraph.copyOf(misfit.model.proto));
  const failed = await session.run({ x: new Tensor(new Float32Array(8), [2, 4]) }).then(() => undefined, (e: unknown) => e);
  assert.ok(failed instanceof LumenError, String(failed));
  assert.match(failed.message, /op MatMul, node 'frob'/);
  assert.match(failed.message, /on input x \[2, 4\]/);
  assert.deepEqual(misfit.seen, [4]);
  await misfit.model.dispose();
});

test("segments' ORT sessions take the model's threads; left to the runtime, one thread each (no pool), whole graphs ORT's default", async () => {
  const ort = await import('onnxruntime-node');
  const g = emptyModel({ x: ['N', 4] });
  let y = 'x';
  for (let i = 0; i < 20; i++) y = g.op('Relu', [y]);
  g.setOutputs([y]);
  const cases: { defaults: SessionSettings; model: SessionSettings; whole: number | undefined; segment: number }[] = [
    { defaults: {}, model: {}, whole: undefined, segment: 1 },
    { defaults: {}, model: { threads: 3 }, whole: 3, segment: 3 },
    { defaults: { threads: 2 }, model: {}, whole: 2, segment: 2 },
    { defaults: { threads: 2 }, model: { threads: 0 }, whole: undefined, segment: 1 },
  ];
  for (const c of cases) {
    // onnxruntime-node itself, recording the options every session is created with
    const options: InferenceSession.SessionOptions[] = [];
    const recorded = { Tensor: ort.Tensor, InferenceSession: { create: (bytes: Uint8Array, o: InferenceSession.SessionOptions) => (options.push(o), ort.InferenceSession.create(bytes, o)) } } as unknown as OrtModule;
    const rt = createOrtRuntime(recorded, 'recorded', c.defaults);
    const model = LumenModel.fromBytes(g.toBytes(), { runtime: rt, source: 'relu20', session: { ...c.model, segmentNodes: 5 } });
    const x = new Tensor(Float32Array.from({ length: 8 }, (_, i) => i - 4), [2, 4]);
    const cut = await model.session('cut', () => OnnxGraph.copyOf(model.proto));
    assert.deepEqual([...(await cut.run({ x }, [y]))[y]!.data], [0, 0, 0, 0, 0, 1, 2, 3]);
    assert.equal(options.length, 4, 'four segments of five nodes');
    assert.deepEqual(options.map((o) => o.intraOpNumThreads), [c.segment, c.segment, c.segment, c.segment], JSON.stringify(c));
    options.splice(0);
    await model.session('whole', () => OnnxGraph.copyOf(model.proto).toBytes());
    assert.equal(options.length, 1);
    assert.equal(options[0]!.intraOpNumThreads, c.whole, JSON.stringify(c));
    await model.dispose();
  }
  assert.throws(() => ortSessionOptions({ threads: 1.5 }, true), /threads must be an integer/);
});

test('cuts fall between residual blocks, where one value crosses, not inside them', async () => {
  const g = emptyModel({ x: ['N', 4] });
  let x = 'x';
  for (let i = 0; i < 30; i++) x = g.op('Add', [x, g.op('Neg', [g.op('Relu', [x])])]);
  g.setOutputs([x]);
  const seg = segmentGraph(g, 10)!;
  assertWellCut(g, seg, 10);
  // 3-node blocks: every window of [5, 10] nodes holds a block boundary, where only the block output crosses
  for (const s of seg.segments) assert.equal(s.inputs.length, 1);
  const input = new Tensor(Float32Array.from({ length: 8 }, (_, i) => 0.1 * (i - 3)), [2, 4]);
  assert.deepEqual((await runSegmented(seg, { x: input }, [x]))[x]!.data, (await runWhole(g, { x: input }, [x]))[x]!.data);
});
