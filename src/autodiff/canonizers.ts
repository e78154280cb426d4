/**
 * Canonizers (zennit's term): graph rewrites that leave the function unchanged but give LRP rules the layer
 * structure they assume. `foldBatchNormalization` merges an inference-mode BatchNormalization into the Conv or
 * Gemm that feeds it, so the layer's rule sees the composite affine map W' = W·s, b' = (b − μ)·s + β with
 * s = γ/√(σ² + ε) per output channel (zennit's MergeBatchNorm).
 */
import { attrFloat, attrInt } from '../onnx/attributes.js';
import { OnnxGraph } from '../onnx/graph.js';
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { opTraits } from './registry.js';
// the op traits (denseWeight) must be registered before a model is folded
import './rules/index.js';

export interface CanonizedModel {
  model: ModelProto;
  /** Names of the BatchNormalization nodes folded away. */
  folded: string[];
}

/** A copy of `model` with every foldable Conv/Gemm → BatchNormalization pair merged into one Conv/Gemm. */
export function foldBatchNormalization(model: ModelProto): CanonizedModel {
  const g = OnnxGraph.copyOf(model);
  const nodes = g.graph.node;
  const folded: string[] = [];
  const consumers = (t: string): NodeProto[] => nodes.filter((n) => n.input.includes(t));
  const isOutput = (t: string): boolean => g.graph.output.some((o) => o.name === t);
  for (const bn of [...nodes]) {
    if (bn.opType !== 'BatchNormalization' || attrInt(bn, 'training_mode', 0) !== 0) continue;
    if (bn.output.slice(1).some((o) => o !== '')) continue;
    const x = bn.input[0]!;
    const layer = g.producer(x);
    // a Conv, or a dense layer x·W + bias with W as is (its denseWeight trait: Gemm without transA, alpha 1)
    const dense = layer && layer.opType !== 'Conv' ? opTraits(layer.opType)?.denseWeight?.(layer) : undefined;
    if (!layer || (layer.opType !== 'Conv' && (dense === undefined || typeof dense === 'string' || dense.biasAfter || dense.scale !== 1))) continue;
    if (consumers(x).length !== 1 || isOutput(x)) continue;
    const values = (name: string | undefined): number[] | undefined => (name ? g.constantNumbers(name) : undefined);
    const [scale, beta, mean, variance] = [1, 2, 3, 4].map((i) => values(bn.input[i]));
    const weightName = layer.input[1];
    const weightTensor = weightName ? g.initializer(weightName) : undefined;
    const weight = values(weightName);
    if (!scale || !beta || !mean || !variance || !weight || !weightTensor) continue;
    const channels = scale.length;
    const dims = weightTensor.dims.map(Number);
    // dense: the output channel is a column of W ([K, C]) or, stored transposed, a row ([C, K]); Gemm scales its bias by beta
    const gemmColumns = typeof dense === 'object' && !dense.transposed;
    if (dense && attrFloat(layer, 'beta', 1) !== 1) continue;
    const outChannels = gemmColumns ? dims[dims.length - 1]! : dims[0]!;
    if (outChannels !== channels) continue;
    const biasName = layer.input[2];
    const bias = biasName ? values(biasName) : new Array<number>(channels).fill(0);
    if (!bias || (bias.length !== channels && bias.length !== 1)) continue;
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const s = scale.map((v, c) => v / Math.sqrt(variance[c]! + eps));
    const newWeight = new Float32Array(weight.length);
    const perChannel = weight.length / channels;
    for (let i = 0; i < weight.length; i++) {
      const c = gemmColumns ? i % channels : Math.floor(i / perChannel);
      newWeight[i] = weight[i]! * s[c]!;
    }
    const newBias = Float32Array.from({ length: channels }, (_, c) => ((bias.length === 1 ? bias[0]! : bias[c]!) - mean[c]!) * s[c]! + beta[c]!);
    layer.input[1] = g.addInitializer(newWeight, dims, `${weightName}_bnfolded`);
    const biasOut = g.addInitializer(newBias, [channels], `${biasName || layer.name || 'layer'}_bnfolded_bias`);
    if (layer.input.length > 2) layer.input[2] = biasOut;
    else layer.input.push(biasOut);
    g.renameOutput(layer, 0, bn.output[0]!);
    nodes.splice(nodes.indexOf(bn), 1);
    folded.push(bn.name || bn.output[0]!);
  }
  // drop initializers nothing reads any more (the original weights, BN statistics)
  const used = new Set(nodes.flatMap((n) => n.input));
  const inputs = new Set(g.graph.input.map((i) => i.name));
  if (folded.length > 0) g.removeInitializers((t) => !used.has(t.name) && !inputs.has(t.name));
  return { model: g.model, folded };
}
