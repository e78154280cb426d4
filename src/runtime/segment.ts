import { create } from '@bufbuild/protobuf';
import { makeValueInfo, type OnnxGraph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/io.js';
import { GraphProtoSchema, ModelProtoSchema, type TensorProto, type ValueInfoProto } from '../onnx/proto.js';
import { inferElemTypes } from '../onnx/shapes.js';
import { liveNodes, nodeReads } from '../onnx/subgraph.js';
import type { ModelSegment, SegmentedModel } from './types.js';

/**
 * Graphs of at least this many nodes are compiled as consecutive segments of about `SEGMENT_NODES` nodes, one ORT
 * session each (issue 23). Why: ORT's session creation is super-linear in graph length (its topological sort keeps
 * the ready nodes in a sorted list; fused nodes get new indices), so 48k and 96k-node Saliency graphs of a conv chain
 * took 5.8 and 16.4 s CPU at 'basic', against 1.45 and 2.5 s as segments of 2 000. Each run then hands the values
 * that cross a cut from one session to the next (+0.04 s per run on a 24k-node chain, +7–23 % on a ResNet-50 Saliency
 * graph cut in 4–8), so graphs are cut only where whole creation costs seconds: well above the real models'
 * explanation graphs (ResNet-50 ~430 nodes, DenseNet-121 ~2 000), which stay one session, and above
 * LARGE_GRAPH_NODES (src/runtime/ort.ts), so segments run at 'basic', where results are bit-identical to the whole
 * graph's. Measured in docs/autodiff.md, "Graph length and session creation".
 */
export const SEGMENT_MIN_NODES = 20_000;
/**
 * Nodes per segment (at most): smaller segments are cheaper to create per node (ORT's cost per node grows with the
 * graph), but every session costs its creation and, when the model sets `threads` above 1, its own thread pool
 * (`ortSessionOptions`, src/runtime/ort.ts), so a graph is cut into at most `MAX_SEGMENTS` segments.
 */
export const SEGMENT_NODES = 2_000;
export const MAX_SEGMENTS = 64;
/** Segment size for a graph of `nodes` nodes when none is set: 0 (whole) below SEGMENT_MIN_NODES. */
export function defaultSegmentNodes(nodes: number): number {
  return nodes >= SEGMENT_MIN_NODES ? Math.max(SEGMENT_NODES, Math.ceil(nodes / MAX_SEGMENTS)) : 0;
}


/**
 * Cut a topologically ordered graph into consecutive segments of at most `maxNodes` nodes, each an ONNX model of its
 * own: its inputs are the graph inputs and earlier segments' values it reads, its initializers the ones it uses, its
 * outputs the values later segments read and the graph outputs it computes. Running the segments in order, feeding
 * each value by name, computes what the graph computes, with the same ORT kernels (every node still runs in ORT).
 *
 * Each cut is placed, among the positions that keep segments between half and all of `maxNodes`, where the fewest
 * values cross it (the latest such position). Values read `maxNodes` or more nodes after they are made (in a forward
 * + backward graph, the forward values the backward needs) are handed on however the cuts fall, so they do not count:
 * what decides is the short-lived ones, e.g. a residual branch, which a cut between two blocks does not split.
 * (Counted, not weighed by size: shape inference for the sizes took longer than the cuts save.)
 *
 * Nodes no graph output depends on are left out (ORT would prune them), and so is a segment of only such nodes.
 *
 * Returns undefined when the graph cannot be cut this way (not topologically ordered, a graph output that no node
 * computes, or a crossing value whose element type is unknown): the caller compiles it whole.
 */
export function segmentGraph(graph: OnnxGraph, maxNodes: number): SegmentedModel | undefined {
  const nodes = graph.nodes;
  const n = nodes.length;
  if (!(maxNodes >= 1) || n <= maxNodes) return undefined;
  const feeds = graph.feedInputs.map((v) => v.name);
  const feedSet = new Set(feeds);
  const outputNames = graph.graph.output.map((o) => o.name);

  // what each node reads (subgraph bodies may read outer values by name), who produces each value, its last reader;
  // nodes no graph output depends on (ORT prunes them) are left out of the segments
  const reads = nodes.map(nodeReads);
  const { live } = liveNodes(nodes, outputNames, reads);
  for (let i = 0; i < n; i++) if (!live[i]) reads[i] = [];
  const producedAt = new Map<string, number>();
  nodes.forEach((node, i) => node.output.forEach((o) => o && producedAt.set(o, i)));
  const lastRead = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    for (const name of reads[i]!) {
      const p = producedAt.get(name);
      if (p === undefined) continue;
      if (p >= i) return undefined; // not topologically ordered
      lastRead.set(name, i);
    }
  }
  // a graph output some later segment reads is handed on too: declared typed where it is made (see below)
  const lastReadOfOutput = new Map(outputNames.map((o) => [o, lastRead.get(o) ?? -1]));
  for (const o of outputNames) {
    if (feedSet.has(o)) continue;
    if (!producedAt.has(o)) return undefined;
    lastRead.set(o, n);
  }

  // values crossing each cut position c (nodes before c | nodes from c): a value produced by node p and last read by
  // node j crosses the cuts p + 1 … j. Difference arrays over c. A value of unknown element type cannot be declared
  // as a segment input, so no cut may separate it from its readers.
  const types = inferElemTypes(graph);
  const weightDiff = new Float64Array(n + 2);
  const untypedDiff = new Int32Array(n + 2);
  for (const [name, last] of lastRead) {
    const p = producedAt.get(name)!;
    const end = Math.min(last, n) + 1;
    if (!types.get(name)) {
      untypedDiff[p + 1]! += 1;
      untypedDiff[end]! -= 1;
      continue;
    }
    // a value read ≥ maxNodes nodes after it is made crosses some cut wherever they fall: it does not decide where
    if (last - p >= maxNodes) continue;
    weightDiff[p + 1]! += 1;
    weightDiff[end]! -= 1;
  }
  const crossing = new Float64Array(n + 1);
  const cuttable = new Uint8Array(n + 1);
  let weight = 0;
  let untyped = 0;
  for (let c = 0; c <= n; c++) {
    weight += weightDiff[c]!;
    untyped += untypedDiff[c]!;
    crossing[c] = weight;
    cuttable[c] = untyped === 0 ? 1 : 0;
  }

  const cuts: number[] = [0];
  let start = 0;
  while (n - start > maxNodes) {
    let best = -1;
    let bestWeight = Number.POSITIVE_INFINITY;
    for (let c = start + Math.max(1, Math.ceil(maxNodes / 2)); c <= start + maxNodes; c++) {
      if (cuttable[c] && crossing[c]! <= bestWeight) {
        bestWeight = crossing[c]!;
        best = c;
      }
    }
    if (best < 0) return undefined;
    cuts.push(best);
    start = best;
  }
  cuts.push(n);

  const declared = new Map<string, ValueInfoProto>();
  for (const v of [...graph.graph.input, ...graph.graph.valueInfo, ...graph.graph.output]) declared.set(v.name, v);
  const infoOf = (name: string): ValueInfoProto => {
    const d = declared.get(name);
    return d && d.type ? d : makeValueInfo(name, undefined, types.get(name) ?? 0);
  };
  const segments: ModelSegment[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k]!;
    const to = cuts[k + 1]!;
    const inputs: string[] = [];
    const used = new Set<string>();
    const segInits: TensorProto[] = [];
    for (let i = from; i < to; i++) {
      for (const name of reads[i]!) {
        if (used.has(name)) continue;
        used.add(name);
        const p = producedAt.get(name);
        if (p !== undefined ? p < from : feedSet.has(name)) inputs.push(name);
        else if (p === undefined) {
          const init = graph.initializer(name);
          if (init) segInits.push(init);
        }
      }
    }
    const outputs: string[] = [];
    for (let i = from; i < to; i++) for (const o of nodes[i]!.output) if (o && live[i] && (lastRead.get(o) ?? -1) >= to) outputs.push(o);
    // only nodes no output depends on: no session for them
    if (!outputs.length) continue;
    const segmentNodes = nodes.slice(from, to).filter((_, j) => live[from + j]);
    const valueInfo = graph.graph.valueInfo.filter((v) => {
      const p = producedAt.get(v.name);
      return p !== undefined && p >= from && p < to && !outputs.includes(v.name);
    });
    const model = create(ModelProtoSchema, {
      ...graph.model,
      graph: create(GraphProtoSchema, {
        name: `${graph.graph.name || 'graph'}_segment_${k}`,
        node: segmentNodes,
        initializer: segInits,
        input: inputs.map(infoOf),
        // a graph output as the graph declares it (setOutputs' are untyped: ORT types them), a handed-on value typed
        // (also a graph output a later segment reads, which that segment declares typed: so a wrong type fails here,
        // naming the value, not in the reader's segment naming only its node)
        output: outputs.map((o) => (outputNames.includes(o) && lastReadOfOutput.get(o)! < to ? declared.get(o)! : infoOf(o))),
        valueInfo,
      }),
    });
    segments.push({ bytes: encodeModel(model), inputs, outputs, nodes: segmentNodes.length });
  }
  return { kind: 'segmented', segments, inputNames: feeds, outputNames };
}

/**
 * Whether a failure to create a segmented graph's sessions can come from the cut rather than from the graph: ONNX
 * Runtime's message names a value that crosses a cut, which `segmentGraph` declared as a segment input or output
 * with the element type Lumen inferred (wrong for an op Lumen does not know that does not keep its input's type,
 * e.g. ai.onnx.ml.Scaler of an int64). Only then is the graph worth compiling whole: any other error (an unknown
 * op, a bad attribute, a type error inside a segment) is the graph's own, and compiling it whole only fails again
 * (~16 s for a 96k-node graph).
 */
export function failedAtCut(error: unknown, model: SegmentedModel): boolean {
  const message = error instanceof Error ? error.message : String(error);
  // the graph's feeds and outputs are declared by the graph, except an output handed on to a later segment
  const handedOn = new Set(model.segments.flatMap((s) => s.inputs));
  const own = new Set([...model.inputNames, ...model.outputNames.filter((o) => !handedOn.has(o))]);
  return model.segments.some((s) =>
    [...s.inputs, ...s.outputs].some((name) => !own.has(name) && (message.includes(`(${name})`) || message.includes(`'${name}'`) || message.includes(`"${name}"`))),
  );
}

/** What a run of a segmented graph needs of it once its sessions exist: each segment's inputs and outputs, no bytes. */
export interface SegmentLayout {
  readonly segments: readonly Pick<ModelSegment, 'inputs' | 'outputs'>[];
}

/** One segment's part of a run of a segmented graph (see `planSegmentRun`). */
export interface SegmentRunStep {
  /** The segment (index into `SegmentedModel.segments`). */
  readonly segment: number;
  /** Its inputs, and the slots of the run that hold their values. */
  readonly inputs: readonly string[];
  readonly inputSlots: readonly number[];
  /** The outputs to ask for; undefined: all of the segment's outputs, asked for without a list. */
  readonly fetch: string[] | undefined;
  /** The outputs it returns (`fetch`, or all of them), and the slots they go to. */
  readonly outputs: readonly string[];
  readonly outputSlots: readonly number[];
  /** Slots this step is the last to read: cleared after it (values the caller fetches excepted). */
  readonly release: readonly number[];
}

/**
 * What a run of a segmented graph does for a set of fetches: every value the run handles (graph inputs, handed-on
 * values, fetched outputs) gets a slot, so each step only touches its own inputs and outputs — no lookups in a map of
 * all live values.
 */
export interface SegmentRunPlan {
  readonly steps: readonly SegmentRunStep[];
  /** Number of slots; `names[s]` is the value in slot s. */
  readonly names: readonly string[];
  /** Slot of each value the run handles (the graph inputs that any step reads or the caller fetches included). */
  readonly slotOf: ReadonlyMap<string, number>;
  /** The fetched values' slots, in the order of `wanted`. */
  readonly wantedSlots: readonly number[];
}

/**
 * Plan a run of `model` that fetches `wanted` (graph outputs; the caller checks them): walking back from the fetches,
 * the segments they need (in order) and the outputs needed of each; then, for each value, the step after which no
 * later step reads it (its release). A fetched value is never released.
 */
export function planSegmentRun(model: SegmentLayout, wanted: readonly string[]): SegmentRunPlan {
  const segments = model.segments;
  const need = new Set(wanted);
  const chosen: { segment: number; fetch: string[] | undefined; outputs: readonly string[] }[] = [];
  for (let k = segments.length - 1; k >= 0; k--) {
    const outputs = segments[k]!.outputs.filter((o) => need.has(o));
    if (!outputs.length) continue;
    const all = outputs.length === segments[k]!.outputs.length;
    chosen.unshift({ segment: k, fetch: all ? undefined : outputs, outputs: all ? segments[k]!.outputs : outputs });
    for (const i of segments[k]!.inputs) need.add(i);
  }
  const names: string[] = [];
  const slotOf = new Map<string, number>();
  const slot = (name: string): number => {
    let s = slotOf.get(name);
    if (s === undefined) {
      s = names.length;
      names.push(name);
      slotOf.set(name, s);
    }
    return s;
  };
  const lastStep: number[] = [];
  const steps = chosen.map(({ segment, fetch, outputs }, step) => {
    const inputs = segments[segment]!.inputs;
    const inputSlots = inputs.map(slot);
    for (const s of inputSlots) lastStep[s] = step;
    return { segment, inputs, inputSlots, fetch, outputs, outputSlots: outputs.map(slot), release: [] as number[] };
  });
  const wantedSlots = wanted.map(slot);
  const fetched = new Set(wantedSlots);
  lastStep.forEach((step, s) => {
    if (!fetched.has(s)) steps[step]!.release.push(s);
  });
  return { steps, names, slotOf, wantedSlots };
}
