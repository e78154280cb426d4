import type { NodeProto } from '../onnx/proto.js';

/** Appended nodes ready before the forward pass ends, from which an explanation graph is reordered (see below). */
export const SCHEDULE_MIN_WAITING = 1000;

/**
 * From this many Convs in the model, the Conv rule's weight transforms are computed by Lumen (GradientContext.foldWeights)
 * instead of emitted as Transpose/Reshape/Slice nodes of the weight. Why: a node whose inputs are all initializers
 * is ready when ORT's topological sort starts, and ORT inserts each ready node by a binary search over a linked list
 * (its cost is the list's length), so K such nodes cost K² per sort, whatever their order. On a 1×1 Conv→Relu chain's
 * Saliency graph that was most of session creation at large sizes (16k forward nodes, CPU: 'basic' 14.2 → 5.4 s,
 * 'disabled' 11.4 → 2.8 s). Below it the nodes stay: ORT folds them itself at 'basic' and above, and precomputing
 * puts a second copy of every kernel into the graph Lumen serializes.
 */
export const FOLD_WEIGHTS_MIN_CONVS = 1000;

/**
 * Node order of an explanation graph: each appended (backward) node moves up to just after the forward node at which
 * its last input becomes available; forward nodes keep their order, and appended nodes with the same anchor keep
 * theirs. The result is still a topological order (a node only moves ahead of forward nodes it does not depend on)
 * and computes the same values.
 *
 * Why: ONNX Runtime topologically sorts the graph by node index (Kahn's algorithm, lowest index first) every time it
 * builds a graph view — several times per session creation, more at higher optimization levels — and the cost of
 * that sort grows with the number of nodes that are ready but wait for a lower-index node. A backward node that
 * reads only forward values (the `Greater(y, 0)` of a Relu rule, the `1 − s` of a Sigmoid rule) is ready as soon as
 * its forward value is computed; appended after the whole forward pass it waits there, so N of them wait at once and
 * session creation grows as N² (measured in docs/autodiff.md, "Graph length and session creation"). Placed right after its forward
 * value, it is taken at once.
 *
 * Only graphs where at least `minWaiting` appended nodes would wait are reordered: the move also changes the order
 * in which ORT runs the graph (its depth-first execution order then computes those nodes during the backward pass
 * instead of the forward pass), which made MobileNetV2's Saliency graph about 20 % slower per run, while the quadratic
 * term only matters from about a thousand waiting nodes (MobileNetV2 and ResNet-50 have a few hundred).
 *
 * `forward` holds the model's own nodes; every other node is treated as appended. Linear in nodes + edges.
 */
export function scheduleAppendedNodes(nodes: readonly NodeProto[], forward: ReadonlySet<NodeProto>, minWaiting = SCHEDULE_MIN_WAITING): NodeProto[] {
  // anchor of a tensor: index (among forward nodes) of the forward node after which it exists; -1 = before all
  const anchorOf = new Map<string, number>();
  const forwardOrder: NodeProto[] = [];
  // groups[a + 1]: appended nodes placed right after forward node a (groups[0]: before the first forward node)
  const groups: NodeProto[][] = [[]];
  for (const node of nodes) {
    let anchor: number;
    if (forward.has(node)) {
      anchor = forwardOrder.length;
      forwardOrder.push(node);
      groups.push([]);
    } else if (node.attribute.some((a) => a.g || a.graphs.length > 0)) {
      // a subgraph may read outer tensors that are not node inputs: keep such a node where it is
      anchor = forwardOrder.length - 1;
      groups[anchor + 1]!.push(node);
    } else {
      anchor = -1;
      for (const name of node.input) {
        const a = name ? anchorOf.get(name) : undefined;
        if (a !== undefined && a > anchor) anchor = a;
      }
      groups[anchor + 1]!.push(node);
    }
    for (const name of node.output) if (name) anchorOf.set(name, anchor);
  }
  // nodes anchored before the last forward node are ready before the forward pass ends
  const waiting = groups.slice(0, -1).reduce((sum, g) => sum + g.length, 0);
  if (waiting < minWaiting) return [...nodes];
  const ordered: NodeProto[] = [...groups[0]!];
  forwardOrder.forEach((node, k) => ordered.push(node, ...groups[k + 1]!));
  return ordered;
}
