import { LumenError } from '../errors.js';
import { valueInfoDims, type OnnxGraph } from './graph.js';
import { topologicalOrder } from './subgraph.js';

/**
 * Most values one input item may declare (2^28 float32 = 1 GiB). Checked before anything is allocated, so a file
 * declaring [1, 3, 2^40, 2^40] gets a clear error instead of a RangeError from the typed-array constructor.
 */
export const MAX_ITEM_VALUES = 2 ** 28;

/**
 * Structural checks every loaded graph passes before Lumen walks it: no cycle (a walk back from the output would
 * never end), declared input sizes that can be allocated, and an output that is computed rather than fed.
 */
export function checkGraph(graph: OnnxGraph, source: string): void {
  const cycle = findCycle(graph);
  if (cycle) {
    throw new LumenError('CORRUPT_MODEL', `${source}: the graph has a cycle through node${cycle.length > 1 ? 's' : ''} ${cycle.slice(0, 5).map((n) => `'${n}'`).join(' → ')}${cycle.length > 5 ? ' → …' : ''}; an ONNX graph must be acyclic — re-export the model`);
  }
  for (const input of graph.feedInputs) {
    const dims = valueInfoDims(input) ?? [];
    let values = 1;
    for (const [axis, d] of dims.entries()) {
      if (typeof d !== 'number') continue;
      if (!Number.isSafeInteger(d) || d < -1) throw new LumenError('CORRUPT_MODEL', `${source}: input '${input.name}' declares size ${d} on axis ${axis}`);
      if (axis > 0 && d > 0) values *= d;
    }
    if (values > MAX_ITEM_VALUES) {
      throw new LumenError('UNSUPPORTED_MODEL', `${source}: input '${input.name}' declares [${dims.join(', ')}], ${values.toExponential(2)} values per item; Lumen handles at most ${MAX_ITEM_VALUES.toExponential(2)} (1 GiB of float32) — is the shape in the file right?`);
    }
  }
  const fed = new Set(graph.graph.input.map((i) => i.name));
  for (const o of graph.graph.output) {
    if (fed.has(o.name)) throw new LumenError('UNSUPPORTED_MODEL', `${source}: the output '${o.name}' is one of the model's inputs; the model computes nothing that can be explained`);
  }
}

/** Node names (or output names) around a cycle, or undefined for an acyclic graph. */
export function findCycle(graph: OnnxGraph): string[] | undefined {
  const { left } = topologicalOrder(graph.nodes);
  return left.length ? left.map((i) => graph.nodes[i]!.name || graph.nodes[i]!.output[0] || `#${i}`) : undefined;
}
