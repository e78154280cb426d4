import { readFileSync } from 'node:fs';
import { decodeModel } from '../../src/onnx/io.js';
import { OnnxGraph } from '../../src/onnx/graph.js';

/**
 * An empty graph to build small test models on: a conformance model (opset 17, IR 8) with every node, input, output,
 * initializer and value info removed.
 */
export function emptyGraph(): OnnxGraph {
  const g = OnnxGraph.copyOf(decodeModel(new Uint8Array(readFileSync('conformance/models/fashion_cnn.onnx'))));
  g.graph.node.splice(0);
  g.graph.input.splice(0);
  g.graph.output.splice(0);
  g.graph.initializer.splice(0);
  g.graph.valueInfo.splice(0);
  return g;
}
