/**
 * Graph-length scaling of a first gradient explanation (issue 23).
 *
 *   npx tsx scripts/scale-bench.ts [--nodes 1000,2000,5000,10000,20000] [--activation Relu|Sigmoid] [--kind conv|dense]
 *                                  [--methods saliency,gradcam] [--order scheduled|appended] [--level all|basic|disabled|policy]
 *                                  [--segment S]
 *   npx tsx scripts/scale-bench.ts --ladder [--nodes 2000,4000,8000] [--level disabled]
 *   npx tsx scripts/scale-bench.ts --ab mobilenet_v2,resnet50 [--repeats 11]
 *
 * Default mode: chain models (src/bench/scale.ts: 1×1 Conv → activation on a 6×6 image, or MatMul → Add → activation
 * on 16 features) of about N forward nodes; per N and method it prints the time of
 * model load, explanation-graph build, ORT session creation (wall and CPU) and one run, then the end-to-end first
 * `explain` call (compile included). `--order appended` puts every backward node after the forward pass, the order
 * explanation graphs had before src/autodiff/schedule.ts, to reproduce the quadratic session creation.
 * `--level policy` leaves the level to Lumen (src/runtime/ort.ts: 'basic' from LARGE_GRAPH_NODES). `--segment S`
 * compiles the graph as segments of at most S nodes (src/runtime/segment.ts; 0: whole), in the phases and in the
 * `explain` call; without it the phases compile the graph whole and `explain` does what a LumenModel does by default
 * (segments from SEGMENT_MIN_NODES nodes). `explain` is wall time, its `(CPU)` this process's CPU time of that call.
 *
 * `--ladder`: the minimal ONNX Runtime repro, without Lumen's builder: a Relu chain y_i and a backward-like chain
 * g ← g · Cast(Greater(y_i, 0)); the same graph with the Greater/Cast nodes listed after every forward node
 * ('appended') or right after their y_i ('interleaved'). Only the node order differs.
 *
 * `--ab`: the bench models (src/bench/models.ts, 224×224, batch 1, 2 threads): session creation and run time of the
 * Saliency and Grad-CAM explanation graphs in the scheduled and the appended node order, runs interleaved in one
 * process, and the largest difference between their gradients (the order must not change results).
 */
import * as os from 'node:os';
import * as ort from 'onnxruntime-node';
import { create } from '@bufbuild/protobuf';
import { loadAllMethods } from '../src/methods/load-all.js';
import { getMethod } from '../src/methods/registry.js';
import { LumenModel } from '../src/model.js';
import { nodeRuntime } from '../src/node/runtime.js';
import { OnnxGraph } from '../src/onnx/graph.js';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema } from '../src/onnx/proto.js';
import { appendedOrder, chainModel, chainPhases, type ChainActivation, type ChainKind } from '../src/bench/scale.js';
import { buildBenchModel, type BenchModelName } from '../src/bench/models.js';
import { interleaved, median } from '../src/bench/timing.js';
import { buildBackwardGraph } from '../src/autodiff/builder.js';
import type { Session } from '../src/runtime/types.js';
import { Tensor } from '../src/tensor.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const levelFlag = flag('level') ?? 'all';
const level = (levelFlag === 'policy' ? undefined : levelFlag) as 'all' | 'basic' | 'disabled' | undefined;
const segmentFlag = flag('segment');
const segmentNodes = segmentFlag === undefined ? undefined : Number(segmentFlag);
const fmt = (ms: number): string => (ms / 1000).toFixed(2).padStart(7);

if (flag('ab')) {
  const runtime = nodeRuntime({ threads: 2, graphOptimizationLevel: level });
  const repeats = Number(flag('repeats') ?? 11);
  console.log('model         method    order       create s   run ms (median)   max |Δ gradient|');
  for (const name of flag('ab')!.split(',') as BenchModelName[]) {
    const bench = buildBenchModel(name);
    const model = LumenModel.fromBytes(bench.bytes, { runtime, source: name });
    const input = new Tensor(Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)), [1, 3, 224, 224]);
    for (const method of ['saliency', 'gradcam'] as const) {
      const wrt = method === 'saliency' ? model.inputName : bench.camLayer;
      const graphs: Record<string, { bytes: Uint8Array; grad: string }> = {};
      for (const order of ['scheduled', 'appended'] as const) {
        const built = buildBackwardGraph(model.proto, { target: bench.outputName, wrt: [wrt], seed: { kind: 'rank', rank: 1 }, feedDims: { [model.inputName]: ['N', 3, 224, 224] } });
        if (order === 'appended') appendedOrder(built.graph, new Set(model.proto.graph!.node.flatMap((n) => n.output)));
        graphs[order] = { bytes: built.graph.toBytes(), grad: built.gradients[wrt]! };
      }
      // session creation: 3 rounds, alternating which order goes first; the median of each
      const createTimes: Record<string, number[]> = { scheduled: [], appended: [] };
      const sessions: Record<string, { session: Session; grad: string; createMs: number }> = {};
      for (let r = 0; r < 3; r++) {
        for (const order of r % 2 ? (['appended', 'scheduled'] as const) : (['scheduled', 'appended'] as const)) {
          const t = performance.now();
          const session = await runtime.createSession(graphs[order]!.bytes);
          createTimes[order]!.push(performance.now() - t);
          if (r < 2) await session.dispose();
          else sessions[order] = { session, grad: graphs[order]!.grad, createMs: median(createTimes[order]!) };
        }
      }
      const outs: Record<string, Tensor> = {};
      const timed = await interleaved(Object.fromEntries(Object.entries(sessions).map(([order, s]) => [order, async () => {
        outs[order] = (await s.session.run({ [model.inputName]: input }, [s.grad]))[s.grad]!;
      }])), repeats);
      let diff = 0;
      outs.scheduled!.data.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - outs.appended!.data[i]!))));
      for (const order of ['scheduled', 'appended'] as const) {
        console.log(`${name.padEnd(13)} ${method.padEnd(9)} ${order.padEnd(10)} ${fmt(sessions[order]!.createMs)}   ${timed[order]!.median.toFixed(1).padStart(14)}   ${order === 'scheduled' ? diff.toExponential(2) : ''}`);
        await sessions[order]!.session.dispose();
      }
    }
    await model.dispose();
  }
} else if (process.argv.includes('--ladder')) {
  const ns = (flag('nodes') ?? '2000,4000,8000').split(',').map(Number);
  console.log(`ORT ${ort.env.versions.common}, graphOptimizationLevel ${level}, 1 thread; times in s`);
  console.log('order        chain N  graph nodes  create (wall)  create (CPU)');
  for (const order of ['appended', 'interleaved'] as const) {
    for (const n of ns) {
      const bytes = ladder(n, order);
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      const s = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1, logSeverityLevel: 3 });
      const wall = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      await s.release();
      console.log(`${order.padEnd(12)} ${String(n).padStart(7)}  ${String(4 * n).padStart(11)}  ${fmt(wall)}        ${fmt((cpu.user + cpu.system) / 1000)}`);
    }
  }
} else {
  const ns = (flag('nodes') ?? '1000,2000,5000,10000,20000').split(',').map(Number);
  const activation = (flag('activation') ?? 'Relu') as ChainActivation;
  const kind = (flag('kind') ?? 'conv') as ChainKind;
  const methods = (flag('methods') ?? 'saliency,gradcam').split(',') as ('saliency' | 'gradcam')[];
  const order = (flag('order') ?? 'scheduled') as 'scheduled' | 'appended';
  const runtime = nodeRuntime({ threads: 1, ...(level ? { graphOptimizationLevel: level } : {}) });
  await loadAllMethods();
  console.log(`${kind} ${activation} chains, ${order} order, graphOptimizationLevel ${levelFlag}, segments ${segmentFlag ?? 'default'}, 1 thread; times in s, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('method    fwd nodes  graph nodes  segs     load    build   create  (CPU)  run 1st  run med  (CPU)   explain  (CPU)');
  for (const n of ns) {
    const chain = chainModel(n, activation, kind);
    for (const method of methods) {
      const p = await chainPhases(chain, method, runtime, order, segmentNodes ?? (level ? undefined : 0));
      // the whole first call as a user sees it (cold compile cache: a fresh model)
      let explainMs = NaN;
      let explainCpuMs = NaN;
      // (Grad-CAM needs a spatial layer: dense chains time only its graph)
      if (order === 'scheduled' && (kind === 'conv' || method === 'saliency')) {
        const model = LumenModel.fromBytes(chain.bytes, { runtime, source: 'chain', ...(segmentNodes === undefined ? {} : { session: { segmentNodes } }) });
        const input = new Tensor(new Float32Array(chain.inputDims.reduce((a, d) => a * d, 1)).fill(0.5), chain.inputDims);
        const cpu0 = process.cpuUsage();
        const t = performance.now();
        await getMethod(method).explain(model, input, method === 'gradcam' ? { layer: chain.camLayer } : {});
        explainMs = performance.now() - t;
        const cpu = process.cpuUsage(cpu0);
        explainCpuMs = (cpu.user + cpu.system) / 1000;
        await model.dispose();
      }
      console.log(`${method.padEnd(8)} ${String(p.forwardNodes).padStart(10)}  ${String(p.graphNodes).padStart(11)}  ${String(p.segments).padStart(4)}  ${fmt(p.loadMs)}  ${fmt(p.buildMs)}  ${fmt(p.createMs)}  ${fmt(p.createCpuMs)}  ${fmt(p.runMs)}  ${fmt(p.runMedianMs)}  ${fmt(p.runCpuMedianMs)}  ${fmt(explainMs)}  ${fmt(explainCpuMs)}`);
    }
  }
}

/** Relu chain of n plus the Relu-rule backward chain; `order` decides where the Greater/Cast nodes are listed. */
function ladder(n: number, order: 'appended' | 'interleaved'): Uint8Array {
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, { name: 'ladder' }),
  });
  const g = new OnnxGraph(model);
  g.addInput('x', ['N', 16]);
  g.addInput('seed', ['N', 16]);
  const zero = g.scalar(0);
  const ys: string[] = [];
  const masks: string[] = [];
  let y = 'x';
  const mask = (t: string): string => g.op('Cast', [g.op('Greater', [t, zero])], { to: { i: 1 } });
  for (let i = 0; i < n; i++) {
    y = g.op('Relu', [y]);
    ys.push(y);
    if (order === 'interleaved') masks.push(mask(y));
  }
  let grad = 'seed';
  for (let i = n - 1; i >= 0; i--) grad = g.op('Mul', [grad, order === 'interleaved' ? masks[i]! : mask(ys[i]!)]);
  g.setOutputs([y, grad]);
  return g.toBytes();
}
