import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBackwardGraph } from '../../src/autodiff/builder.js';
import { scheduleAppendedNodes, SCHEDULE_MIN_WAITING } from '../../src/autodiff/schedule.js';
import { appendedOrder, chainModel } from '../../src/bench/scale.js';
import { buildBenchModel } from '../../src/bench/models.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { decodeModel } from '../../src/onnx/io.js';
import type { OnnxGraph } from '../../src/onnx/graph.js';
import type { NodeProto } from '../../src/onnx/proto.js';
import { Tensor } from '../../src/tensor.js';

// Issue 23: ORT sorts the graph by node index (Kahn, lowest index first) at every graph view it builds during session
// creation; each insertion into its ready list costs the list's length. These tests check the node order of
// explanation graphs, not times (timings: scripts/scale-bench.ts, docs/performance.md).

/**
 * The work of ORT's index-ordered Kahn sort over `nodes` (GraphViewer, onnxruntime ≥ 1.17.1): its ready list is a
 * linked list kept sorted by index, and each node made ready is inserted after a scan past every listed node with a
 * higher index. Returns the total number of such steps (a Fenwick tree counts them).
 */
function kahnScanSteps(nodes: readonly NodeProto[]): number {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const inputsOf = (n: NodeProto): Set<number> => new Set(n.input.filter((t) => t && producer.has(t)).map((t) => producer.get(t)!));
  const missing = nodes.map((n) => inputsOf(n).size);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => inputsOf(n).forEach((p) => consumers[p]!.push(i)));
  const tree = new Int32Array(nodes.length + 1);
  const add = (i: number, d: number): void => {
    for (let k = i + 1; k <= nodes.length; k += k & -k) tree[k]! += d;
  };
  const below = (i: number): number => {
    let s = 0;
    for (let k = i; k > 0; k -= k & -k) s += tree[k]!;
    return s;
  };
  // the ready list itself: a binary min-heap of indices (ORT takes the lowest index next)
  const heap: number[] = [];
  let steps = 0;
  const push = (i: number): void => {
    steps += heap.length - below(i + 1); // listed nodes with a higher index
    add(i, 1);
    heap.push(i);
    for (let k = heap.length - 1; k > 0; ) {
      const p = (k - 1) >> 1;
      if (heap[p]! <= heap[k]!) break;
      [heap[p], heap[k]] = [heap[k]!, heap[p]!];
      k = p;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let k = 0; ; ) {
        const l = 2 * k + 1;
        let m = k;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (l + 1 < heap.length && heap[l + 1]! < heap[m]!) m = l + 1;
        if (m === k) break;
        [heap[m], heap[k]] = [heap[k]!, heap[m]!];
        k = m;
      }
    }
    add(top, -1);
    return top;
  };
  missing.forEach((k, i) => k === 0 && push(i));
  let done = 0;
  while (heap.length > 0) {
    const i = pop();
    done++;
    for (const c of consumers[i]!) if (--missing[c]! === 0) push(c);
  }
  assert.equal(done, nodes.length, 'the node list has a cycle');
  return steps;
}

/** Every node comes after the producers of its inputs. */
function isTopological(nodes: readonly NodeProto[], graphInputs: ReadonlySet<string>): boolean {
  const seen = new Set<string>(graphInputs);
  for (const n of nodes) {
    if (n.input.some((t) => t && !seen.has(t))) return false;
    n.output.forEach((o) => seen.add(o));
  }
  return true;
}

function available(g: OnnxGraph): Set<string> {
  return new Set([...g.graph.input.map((i) => i.name), ...g.graph.initializer.map((t) => t.name)]);
}

function saliencyGraph(nodes: number, activation: 'Relu' | 'Sigmoid'): { graph: OnnxGraph; forwardOutputs: Set<string>; gradient: string; input: string } {
  const chain = chainModel(nodes, activation);
  const proto = decodeModel(chain.bytes);
  // (foldWeights off: the same graph structure at every size, as the per-node comparison below needs; folding is tested in fold-weights.test.ts)
  const built = buildBackwardGraph(proto, { target: chain.logits, wrt: [chain.inputName], seed: { kind: 'rank', rank: 1 }, feedDims: { [chain.inputName]: ['N', ...chain.inputDims.slice(1)] }, foldWeights: false });
  return { graph: built.graph, forwardOutputs: new Set(proto.graph!.node.flatMap((n) => n.output)), gradient: built.gradients[chain.inputName]!, input: chain.inputName };
}

test('long chains: ORT’s index-ordered sort does linear work on the explanation graph (quadratic in the appended order)', () => {
  for (const activation of ['Relu', 'Sigmoid'] as const) {
    const perNode: number[] = [];
    for (const n of [2000, 4000]) {
      const { graph, forwardOutputs } = saliencyGraph(n, activation);
      const nodes = graph.nodes.length;
      assert.ok(isTopological(graph.nodes, available(graph)), `${activation} ${n}: the scheduled graph is topologically sorted`);
      const scheduled = kahnScanSteps(graph.nodes);
      perNode.push(scheduled / nodes);
      assert.ok(scheduled <= 2 * nodes, `${activation} ${n}: ${scheduled} scan steps for ${nodes} nodes`);
      // the same nodes in the pre-issue-23 order: every forward-only backward node waits until the forward pass ends
      appendedOrder(graph, forwardOutputs);
      assert.ok(isTopological(graph.nodes, available(graph)));
      const appended = kahnScanSteps(graph.nodes);
      assert.ok(appended >= (n * n) / 4, `${activation} ${n}: the appended order takes ${appended} scan steps (quadratic)`);
    }
    assert.ok(perNode[1]! <= perNode[0]! * 1.05, `${activation}: scan steps per node do not grow from 2000 to 4000 nodes (${perNode.map((v) => v.toFixed(2)).join(' → ')})`);
  }
});

test('scheduling moves only appended nodes, each right after the forward node where its last input exists', () => {
  const { graph, forwardOutputs } = saliencyGraph(2500, 'Sigmoid');
  const nodes = graph.nodes;
  const isForward = (n: NodeProto): boolean => n.output.some((o) => forwardOutputs.has(o));
  const forward = nodes.filter(isForward);
  // forward nodes in the model's own order
  assert.deepEqual(forward.map((n) => n.output[0]), decodeModel(chainModel(2500, 'Sigmoid').bytes).graph!.node.map((n) => n.output[0]));
  // each appended node: the nearest forward node above it is the latest forward producer among its (transitive) inputs
  const position = new Map<string, number>();
  let lastForward = -1;
  const anchorOf = new Map<string, number>();
  let checked = 0;
  nodes.forEach((n, i) => {
    if (isForward(n)) {
      lastForward = i;
      n.output.forEach((o) => anchorOf.set(o, i));
    } else {
      const anchor = Math.max(-1, ...n.input.map((t) => anchorOf.get(t) ?? -1));
      assert.equal(anchor, lastForward, `node ${n.opType} '${n.output[0]}' sits after the forward node its inputs wait for`);
      n.output.forEach((o) => anchorOf.set(o, anchor));
      checked++;
    }
    n.output.forEach((o) => position.set(o, i));
  });
  assert.ok(checked > 2500, `${checked} appended nodes checked`);
});

test('graphs with few waiting nodes (MobileNetV2 Saliency) keep the appended order', () => {
  const bench = buildBenchModel('mobilenet_v2', { size: 32, classes: 10 });
  const proto = decodeModel(bench.bytes);
  const built = buildBackwardGraph(proto, { target: bench.outputName, wrt: [bench.inputName], seed: { kind: 'rank', rank: 1 }, feedDims: { [bench.inputName]: ['N', 3, 32, 32] } });
  const forwardCount = proto.graph!.node.length;
  const fwdOutputs = new Set(proto.graph!.node.flatMap((n) => n.output));
  // the model's nodes first, all appended nodes after them (nothing moved)
  assert.ok(built.graph.nodes.slice(0, forwardCount).every((n) => n.output.some((o) => fwdOutputs.has(o))));
  assert.ok(built.graph.nodes.slice(forwardCount).every((n) => !n.output.some((o) => fwdOutputs.has(o))));
  // and the same graph does get reordered when the threshold is lowered, so the check above is about the threshold
  const forwardSet = new Set(built.graph.nodes.slice(0, forwardCount));
  const moved = scheduleAppendedNodes(built.graph.nodes, forwardSet, 1);
  assert.notDeepEqual(moved.map((n) => n.output[0]), built.graph.nodes.map((n) => n.output[0]));
  assert.ok(SCHEDULE_MIN_WAITING >= 1000);
});

test('the scheduled and the appended order give bit-identical gradients (a Relu chain of 2200 nodes)', async () => {
  const runtime = nodeRuntime({ threads: 1, graphOptimizationLevel: 'disabled' });
  // (a Sigmoid chain's input gradient underflows to 0 over a thousand layers, so it could not tell orders apart)
  for (const activation of ['Relu'] as const) {
    const { graph, forwardOutputs, gradient, input } = saliencyGraph(2200, activation);
    const x = new Tensor(Float32Array.from({ length: 4 * 6 * 6 }, (_, i) => Math.sin(1.7 * i)), [1, 4, 6, 6]);
    const scheduled = await runtime.createSession(graph.toBytes());
    appendedOrder(graph, forwardOutputs);
    const appended = await runtime.createSession(graph.toBytes());
    try {
      const a = (await scheduled.run({ [input]: x }, [gradient]))[gradient]!;
      const b = (await appended.run({ [input]: x }, [gradient]))[gradient]!;
      assert.ok(a.data.some((v) => v !== 0), `${activation}: the gradient is not all zero`);
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
    } finally {
      await scheduled.dispose();
      await appended.dispose();
    }
  }
});
