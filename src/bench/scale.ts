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
  inputDims: [number, number, number, number];
}

const CHANNELS = 4;
const SIZE = 6;

/**
 * A chain of (1×1 Conv → activation) blocks on a [N, 4, 6, 6] input, then GlobalAveragePool → Flatten → Gemm to 3
 * classes: about `nodes` forward nodes, tiny tensors, so session creation dominates and run time is small.
 */
export function chainModel(nodes: number, activation: ChainActivation = 'Relu'): ChainModel {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, { name: `chain_${nodes}` }),
  });
  const g = new OnnxGraph(model);
  g.addInput('input', ['N', CHANNELS, SIZE, SIZE]);
  // one weight per block would make the file large; an identity 1×1 kernel shared by all keeps values in range and
  // lets a Relu chain's gradient reach the input (a Sigmoid chain's vanishes: its derivative is at most 1/4)
  const w = g.addInitializer(Float32Array.from({ length: CHANNELS * CHANNELS }, (_, i) => (i % (CHANNELS + 1) === 0 ? 1 : 0)), [CHANNELS, CHANNELS, 1, 1], 'w');
  const b = g.addInitializer(Float32Array.from({ length: CHANNELS }, (_, i) => 0.01 * (i + 1)), [CHANNELS], 'b');
  let x = 'input';
  const blocks = Math.max(1, Math.floor((nodes - 3) / 2));
  for (let i = 0; i < blocks; i++) x = g.op(activation, [g.op('Conv', [x, w, b], { kernel_shape: { ints: [1, 1] } })]);
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [x])], { axis: { i: 1 } });
  const fc = g.addInitializer(Float32Array.from({ length: 3 * CHANNELS }, (_, i) => Math.cos(i)), [3, CHANNELS], 'fc');
  const logits = g.op('Gemm', [pooled, fc], { transB: { i: 1 } });
  g.setOutputs([logits]);
  return { bytes: g.toBytes(), nodes: g.nodes.length, inputName: 'input', logits, camLayer: x, inputDims: [1, CHANNELS, SIZE, SIZE] };
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
}

/**
 * Time the steps of one gradient explanation on a chain model: load (LumenModel), build (buildBackwardGraph +
 * encoding), session creation, one run. Saliency differentiates w.r.t. the input, Grad-CAM w.r.t. the last
 * activation (fetching it too). `order: 'appended'` measures the pre-issue-23 node order.
 */
export async function chainPhases(chain: ChainModel, method: 'saliency' | 'gradcam', runtime: Runtime, order: 'scheduled' | 'appended' = 'scheduled'): Promise<PhaseTimes> {
  let t = performance.now();
  const model = LumenModel.fromBytes(chain.bytes, { runtime, source: 'chain' });
  const loadMs = performance.now() - t;
  t = performance.now();
  const wrt = method === 'saliency' ? chain.inputName : chain.camLayer;
  const built = buildBackwardGraph(model.proto, {
    target: chain.logits,
    wrt: [wrt],
    ...(method === 'gradcam' ? { fetch: [chain.camLayer] } : {}),
    seed: { kind: 'rank', rank: 1 },
    feedDims: { [chain.inputName]: ['N', ...chain.inputDims.slice(1)] },
  });
  if (order === 'appended') appendedOrder(built.graph, new Set(model.proto.graph!.node.flatMap((n) => n.output)));
  const bytes = built.graph.toBytes();
  const buildMs = performance.now() - t;
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const session = await runtime.createSession(bytes);
  const createMs = performance.now() - t;
  const cpu = process.cpuUsage(cpu0);
  try {
    const input = new Tensor(Float32Array.from({ length: chain.inputDims.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i)), chain.inputDims);
    t = performance.now();
    await session.run({ [chain.inputName]: input }, [built.gradients[wrt]!]);
    const runMs = performance.now() - t;
    return { method, forwardNodes: chain.nodes, graphNodes: built.graph.nodes.length, loadMs, buildMs, createMs, createCpuMs: (cpu.user + cpu.system) / 1000, runMs };
  } finally {
    await session.dispose();
    await model.dispose();
  }
}
