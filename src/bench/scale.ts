/**
 * Graph-length scaling (issue 23): chain models of N nodes built on OnnxGraph, and the time of each step of a first
 * explanation on them — model load, explanation-graph build, ONNX Runtime session creation, one run — for Saliency
 * (gradient w.r.t. the input) and Grad-CAM (gradient w.r.t. the last activation). Used by `scripts/scale-bench.ts`
 * and the bench's 'scale' section. Node-only (onnxruntime-node through the caller's Runtime).
 */
import { create } from '@bufbuild/protobuf';
import { buildBackwardGraph } from '../autodiff/builder.js';
import { LumenModel } from '../model.js';
import { OnnxGraph } from '../onnx/graph.js';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, type NodeProto } from '../onnx/proto.js';
import type { Runtime } from '../runtime/types.js';
import { segmentGraph } from '../runtime/segment.js';
import type { BenchCheck, BenchTiming } from './run.js';
import { median } from './timing.js';
import { Tensor } from '../tensor.js';

export type ChainActivation = 'Relu' | 'Sigmoid';

export interface ChainModel {
  bytes: Uint8Array;
  /** Nodes of the forward graph. */
  nodes: number;
  inputName: string;
  logits: string;
  /** The last activation (Grad-CAM's layer). */
  camLayer: string;
  inputDims: number[];
}

const CHANNELS = 4;
const SIZE = 6;
const FEATURES = 16;

/** 'conv': 1×1 Conv → activation blocks on a [N, 4, 6, 6] image; 'dense': MatMul → Add → activation on [N, 16] features. */
export type ChainKind = 'conv' | 'dense';

/**
 * A chain of blocks, then (conv) GlobalAveragePool → Flatten → Gemm or (dense) Gemm, to 3 classes: about `nodes`
 * forward nodes, tiny tensors, so session creation dominates and run time is small. The weights are an identity
 * shared by all blocks (one weight per block would make the file large), which keeps values in range and lets a
 * Relu chain's gradient reach the input (a Sigmoid chain's vanishes: its derivative is at most 1/4).
 */
export function chainModel(nodes: number, activation: ChainActivation = 'Relu', kind: ChainKind = 'conv'): ChainModel {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, { name: `chain_${nodes}` }),
  });
  const g = new OnnxGraph(model);
  const width = kind === 'conv' ? CHANNELS : FEATURES;
  const inputDims: number[] = kind === 'conv' ? [1, CHANNELS, SIZE, SIZE] : [1, FEATURES];
  g.addInput('input', ['N', ...inputDims.slice(1)]);
  const identity = Float32Array.from({ length: width * width }, (_, i) => (i % (width + 1) === 0 ? 1 : 0));
  const w = g.addInitializer(identity, kind === 'conv' ? [width, width, 1, 1] : [width, width], 'w');
  const b = g.addInitializer(Float32Array.from({ length: width }, (_, i) => 0.01 * (i + 1)), [width], 'b');
  let x = 'input';
  const perBlock = kind === 'conv' ? 2 : 3;
  const blocks = Math.max(1, Math.floor((nodes - 3) / perBlock));
  for (let i = 0; i < blocks; i++) {
    const z = kind === 'conv' ? g.op('Conv', [x, w, b], { kernel_shape: { ints: [1, 1] } }) : g.op('Add', [g.op('MatMul', [x, w]), b]);
    x = g.op(activation, [z]);
  }
  const pooled = kind === 'conv' ? g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: { i: 1 } }) : x;
  const fc = g.addInitializer(Float32Array.from({ length: 3 * width }, (_, i) => Math.cos(i)), [3, width], 'fc');
  const logits = g.op('Gemm', [pooled, fc], { transB: { i: 1 } });
  g.setOutputs([logits]);
  return { bytes: g.toBytes(), nodes: g.nodes.length, inputName: 'input', logits, camLayer: x, inputDims };
}

/**
 * The node order explanation graphs had before issue 23: the model's nodes, then every appended node (kept in its
 * relative order, which is topological). Only for measuring what src/autodiff/schedule.ts changed.
 */
export function appendedOrder(graph: OnnxGraph, forwardOutputs: ReadonlySet<string>): void {
  const isForward = (n: NodeProto): boolean => n.output.some((o) => forwardOutputs.has(o));
  const nodes = [...graph.graph.node.filter(isForward), ...graph.graph.node.filter((n) => !isForward(n))];
  nodes.forEach((n, i) => (graph.graph.node[i] = n));
}

export interface PhaseTimes {
  method: 'saliency' | 'gradcam';
  forwardNodes: number;
  graphNodes: number;
  loadMs: number;
  buildMs: number;
  createMs: number;
  /** CPU time of session creation (all threads of this process), less sensitive to other load than wall time. */
  createCpuMs: number;
  runMs: number;
  /** Median of further runs (the first run allocates). */
  runMedianMs: number;
  /** Median CPU time of those runs (this process, all threads). */
  runCpuMedianMs: number;
  /** Segments the graph was compiled as (1: whole). */
  segments: number;
}

/**
 * Time the steps of one gradient explanation on a chain model: load (LumenModel), build (buildBackwardGraph +
 * encoding), session creation, one run. Saliency differentiates w.r.t. the input, Grad-CAM w.r.t. the last
 * activation (fetching it too). `order: 'appended'` measures the pre-issue-23 node order; `segmentNodes`, segmented
 * sessions (src/runtime/segment.ts).
 */
export async function chainPhases(chain: ChainModel, method: 'saliency' | 'gradcam', runtime: Runtime, order: 'scheduled' | 'appended' = 'scheduled', segmentNodes?: number): Promise<PhaseTimes> {
  let t = performance.now();
  const model = LumenModel.fromBytes(chain.bytes, { runtime, source: 'chain' });
  const loadMs = performance.now() - t;
  t = performance.now();
  const wrt = method === 'saliency' ? chain.inputName : chain.camLayer;
  let built: ReturnType<typeof buildBackwardGraph> | undefined = buildBackwardGraph(model.proto, {
    target: chain.logits,
    wrt: [wrt],
    ...(method === 'gradcam' ? { fetch: [chain.camLayer] } : {}),
    seed: { kind: 'rank', rank: 1 },
    feedDims: { [chain.inputName]: ['N', ...chain.inputDims.slice(1)] },
  });
  if (order === 'appended') appendedOrder(built.graph, new Set(model.proto.graph!.node.flatMap((n) => n.output)));
  // with `segmentNodes` (0: whole), as LumenModel's compile cache does: segments of that size, and the level chosen
  // by the whole graph's size unless the runtime sets one; without it, the graph whole at the runtime's level
  const source = (segmentNodes ? segmentGraph(built.graph, segmentNodes) : undefined) ?? built.graph.toBytes();
  const buildMs = performance.now() - t;
  // the graph is not kept past compilation, as in model.compile: a 192k-node graph left in the heap made every major
  // GC during the runs mark it (run CPU 670 vs 558 ms at 64k forward nodes, docs/autodiff.md)
  const graphNodes = built.graph.nodes.length;
  const grad = built.gradients[wrt]!;
  built = undefined;
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const session = await runtime.createSession(source, segmentNodes === undefined ? {} : { graphNodes });
  const createMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  try {
    const input = new Tensor(Float32Array.from({ length: chain.inputDims.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i)), chain.inputDims);
    const runs: number[] = [];
    const runsCpu: number[] = [];
    for (let r = 0; r < 6; r++) {
      const c0 = process.cpuUsage();
      t = performance.now();
      await session.run({ [chain.inputName]: input }, [grad]);
      runs.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      runsCpu.push((c.user + c.system) / 1000);
    }
    const segments = source instanceof Uint8Array ? 1 : source.segments.length;
    return { method, forwardNodes: chain.nodes, graphNodes, loadMs, buildMs, createMs, createCpuMs: (cpu.user + cpu.system) / 1000, runMs: runs[0]!, runMedianMs: median(runs.slice(1)), runCpuMedianMs: median(runsCpu.slice(1)), segments };
  } finally {
    await session.dispose();
    await model.dispose();
  }
}

/**
 * The bench's 'scale' section: Saliency's explanation graph on dense Sigmoid chains (MatMul → Add → Sigmoid) of
 * `sizes` forward nodes (each the double of the one before). Session creation is timed in CPU time (this process, all threads), which other load on
 * the machine disturbs less than wall time; the check is its growth per doubling (linear: 2).
 */
export async function scaleSection(runtime: Runtime, sizes: readonly number[] = [2500, 5000]): Promise<{ timings: BenchTiming[]; checks: BenchCheck[] }> {
  const timings: BenchTiming[] = [];
  const checks: BenchCheck[] = [];
  let previous: PhaseTimes | undefined;
  for (const n of sizes) {
    const p = await chainPhases(chainModel(n, 'Sigmoid', 'dense'), 'saliency', runtime);
    const model = `dense sigmoid chain ${p.forwardNodes}`;
    timings.push({ model, batch: 1, what: `saliency graph (${p.graphNodes} nodes): session creation, CPU`, medianMs: p.createCpuMs, samplesMs: [p.createCpuMs] });
    timings.push({ model, batch: 1, what: 'saliency: load + graph build + session creation + run, wall', medianMs: p.loadMs + p.buildMs + p.createMs + p.runMs, samplesMs: [p.loadMs + p.buildMs + p.createMs + p.runMs] });
    if (previous) {
      const value = p.createCpuMs / previous.createCpuMs;
      checks.push({ id: 'scale/saliency-create', model: 'dense sigmoid chain', batch: 1, what: `Saliency session creation (CPU), ${p.forwardNodes} ÷ ${previous.forwardNodes} forward nodes (linear: 2; issue 23)`, value, unit: '×', target: '≤ 2.6', pass: value <= 2.6 });
    }
    previous = p;
  }
  return { timings, checks };
}
