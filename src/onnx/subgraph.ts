import { LumenError } from '../errors.js';
import { makeValueInfo, OnnxGraph, type Dim } from './graph.js';
import { cloneModel } from './io.js';
import { TensorProto_DataType, type GraphProto, type ModelProto, type NodeProto } from './proto.js';

export interface HeadGraph {
  /** The head: `tensor` is a graph input, `outputs` are its outputs, everything not needed for them is removed. */
  graph: OnnxGraph;
  /**
   * The model's own input is still needed when some path to the outputs bypasses `tensor` (a skip connection
   * around the layer); feed it as well in that case.
   */
  needsModelInput: boolean;
}

/**
 * The part of a network after an intermediate tensor: `tensor` becomes a graph input (its producer no longer
 * writes it), and only the nodes the `outputs` depend on are kept. Used to re-run the rest of the network on a
 * modified layer activation (AblationCAM), like pytorch-grad-cam's replacement of the target module.
 */
export function headGraph(model: ModelProto, tensor: string, outputs: readonly string[], tensorDims?: readonly Dim[]): HeadGraph {
  const proto = cloneModel(model);
  const graph = proto.graph!;
  const before = new OnnxGraph(proto);
  const modelInputs = new Set(before.feedInputs.map((i) => i.name));
  if (modelInputs.has(tensor)) throw new LumenError('UNKNOWN_LAYER', `'${tensor}' is the model input, not an intermediate layer`, 2);

  const producer = before.producer(tensor);
  if (!producer) throw new LumenError('UNKNOWN_LAYER', `no node produces '${tensor}'`, 2);
  // Detach the producer: its output is renamed to an unused name (it may have other outputs worth keeping).
  const detached = before.uniqueName('lumen_detached');
  before.renameOutput(producer, producer.output.indexOf(tensor), detached);

  // Keep only nodes that the outputs depend on.
  const { live, needed } = liveNodes(graph.node, outputs);
  graph.node = graph.node.filter((_, i) => live[i]);

  const needsModelInput = [...modelInputs].some((name) => needed.has(name));
  graph.input = graph.input.filter((i) => needed.has(i.name) && i.name !== tensor);

  const head = new OnnxGraph(proto);
  head.removeInitializers((t) => !needed.has(t.name));
  // any rank: CAM layers are 4-D feature maps or 3-D token sequences (src/layout.ts)
  if (tensorDims) head.addInput(tensor, tensorDims);
  else head.graph.input.push(makeValueInfo(tensor, undefined, TensorProto_DataType.FLOAT));
  head.setOutputs(outputs);
  return { graph: head, needsModelInput };
}

/** The names a node reads: its inputs and, for control flow (If/Loop/Scan), the names its bodies read (`outerNamesOf`). */
export function nodeReads(node: NodeProto): string[] {
  const names = node.input.filter((x) => x !== '');
  if (node.attribute.some((a) => a.g || a.graphs.length)) names.push(...outerNamesOf(node));
  return [...new Set(names)];
}

/**
 * The nodes `outputs` depend on, walking back over topologically ordered `nodes` (the others are dead: ORT prunes
 * them): `live[i]` per node, and `needed`, the outputs and every name a live node reads. `reads`: each node's
 * `nodeReads`, when the caller has them.
 */
export function liveNodes(nodes: readonly NodeProto[], outputs: Iterable<string>, reads: readonly (readonly string[])[] = nodes.map(nodeReads)): { live: boolean[]; needed: Set<string> } {
  const needed = new Set(outputs);
  const live = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!nodes[i]!.output.some((o) => needed.has(o))) continue;
    live[i] = true;
    for (const name of reads[i]!) needed.add(name);
  }
  return { live, needed };
}

/**
 * Kahn's algorithm, O(nodes + edges): the nodes (indices) in an order where each comes after the producers of its
 * inputs, and those left out (on a cycle, or after an input nobody makes). `given`: the values available from the
 * start (graph inputs, initializers), the others must be made by a node; without it, every value no node makes is
 * given. Ties are first in, first out: nodes ready at the start in list order, then each as its last input is made,
 * so an already sorted list keeps its order.
 */
export function topologicalOrder(nodes: readonly NodeProto[], given?: Iterable<string>): { order: number[]; left: number[] } {
  const made = new Set<string>(given ?? []);
  made.add('');
  const produced = given ? undefined : new Set(nodes.flatMap((n) => n.output));
  const waiting = new Map<string, number[]>();
  const missing = nodes.map((node, i) => {
    const needs = new Set(node.input.filter((x) => !made.has(x) && (!produced || produced.has(x))));
    for (const x of needs) {
      const list = waiting.get(x);
      if (list) list.push(i);
      else waiting.set(x, [i]);
    }
    return needs.size;
  });
  const order = missing.flatMap((m, i) => (m === 0 ? [i] : []));
  for (let next = 0; next < order.length; next++) {
    for (const o of nodes[order[next]!]!.output) {
      if (made.has(o)) continue;
      made.add(o);
      for (const user of waiting.get(o) ?? []) if (--missing[user]! === 0) order.push(user);
    }
  }
  return { order, left: missing.flatMap((m, i) => (m > 0 ? [i] : [])) };
}

/** Every tensor name read inside a node's subgraph attributes (a superset of the outer-scope ones; enough to keep). */
export function outerNamesOf(node: NodeProto): string[] {
  const names: string[] = [];
  const visit = (g: GraphProto): void => {
    for (const n of g.node) {
      names.push(...n.input.filter((x) => x));
      for (const a of n.attribute) {
        if (a.g) visit(a.g);
        for (const sub of a.graphs) visit(sub);
      }
    }
  };
  for (const a of node.attribute) {
    if (a.g) visit(a.g);
    for (const sub of a.graphs) visit(sub);
  }
  return names;
}
