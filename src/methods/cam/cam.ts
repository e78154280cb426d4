import { LumenError } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { reduceAxes } from '../../onnx/shapes.js';
import type { NodeProto } from '../../onnx/proto.js';
import { gridAxes, type LayerLayout } from '../../layout.js';
import { opTraits, passesThrough } from '../../autodiff/registry.js';
import { defineCam, nchw } from './base-cam.js';

/**
 * Classic CAM (Zhou et al. 2016) for heads "layer → global average pool → linear": w_c = W[k, c], read from the
 * Gemm/MatMul weight matrix (a weighted target combines rows). No gradient. Equals Grad-CAM up to the factor h·w.
 */
export const cam = defineCam({
  id: 'cam',
  aliases: ['classic-cam'],
  title: 'CAM',
  summary: 'Class activation map: layer channels weighted by the final linear layer’s weights of the class (GAP + linear heads only).',
  reference: 'Zhou et al. 2016 (checked against Grad-CAM: equal up to scale on GAP + linear heads)',
  needsGradients: false,
  weights: (layer, ctx) => {
    if (ctx.targets.output !== 'logit') {
      throw new LumenError('BAD_OPTION', `CAM explains logits (its weights are the linear layer’s); use gradcam for a ${ctx.targets.output === 'probability' ? 'probability' : ctx.targets.output === 'cosine' ? 'cosine-similarity (embedding)' : 'class × objectness (detection)'} target`, 2);
    }
    const [n, c] = nchw(layer.activations);
    const matrix = linearHead(ctx.model, layer.name, layer.layout ?? { kind: 'NCHW' });
    if (matrix.inputs !== c) {
      throw new LumenError('UNSUPPORTED_MODEL', `CAM: the linear layer after '${layer.name}' takes ${matrix.inputs} features but the layer has ${c} channels`);
    }
    const k = ctx.targets.seed.dims[1]!;
    if (matrix.outputs !== k) throw new LumenError('UNSUPPORTED_MODEL', `CAM: the linear layer has ${matrix.outputs} outputs but the logits have ${k}`);
    const weights = new Float32Array(n * c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const s = ctx.targets.seed.data[i * k + j]!;
        if (s === 0) continue;
        for (let ch = 0; ch < c; ch++) weights[i * c + ch]! += s * matrix.at(ch, j);
      }
    }
    return weights;
  },
});

interface LinearHead {
  inputs: number;
  outputs: number;
  /** Effective weight from feature `c` to output `k` (the layer's denseWeight: Gemm's alpha and transB applied). */
  at(c: number, k: number): number;
}

/** Follow layer → GlobalAveragePool → (Flatten/Reshape/Squeeze) → Gemm|MatMul(+Add) → logits, or explain why not. */
function linearHead(model: LumenModel, layer: string, layout: LayerLayout): LinearHead {
  const g = model.graph;
  const fail = (why: string): never => {
    throw new LumenError('UNSUPPORTED_MODEL', `CAM needs the layer to feed GlobalAveragePool → (Flatten) → Gemm/MatMul → logits; '${layer}' does not: ${why}. Use gradcam, which equals CAM on such heads and works on any head.`);
  };
  const single = (tensor: string): NodeProto => {
    const users = g.consumers(tensor);
    if (users.length !== 1) fail(`'${tensor}' has ${users.length} consumers`);
    return users[0]!;
  };
  const pool = single(layer);
  // the mean over the layer's grid: axes 2, 3 of NCHW, 1, 2 of NHWC, 1 of tokens without special tokens
  const grid = gridAxes(layout);
  const isMean = pool.opType === 'ReduceMean' && grid !== undefined && sameSet(meanAxes(model, pool, layout.kind === 'tokens' ? 3 : 4) ?? [], grid);
  if (!(pool.opType === 'GlobalAveragePool' && layout.kind === 'NCHW') && !isMean) fail(`it feeds ${pool.opType}`);
  let tensor = pool.output[0]!;
  let node = single(tensor);
  // Flatten, Reshape, Squeeze, Identity, …: the pooled values reach the classifier unchanged (the op's `keepsValues` trait)
  while (opTraits(node.opType)?.keepsValues) {
    tensor = node.output[0]!;
    node = single(tensor);
  }
  // a dense layer (Gemm, MatMul): its `denseWeight` trait reads the weight input as the [in, out] matrix
  const traits = opTraits(node.opType);
  if (!traits?.denseWeight) fail(`the pooled features go to ${node.opType}`);
  if (node.input[0] !== tensor) fail(`the pooled features are the weight operand of ${node.opType}`);
  const wName = node.input[traits!.weightInput ?? 1]!;
  const values = g.constantValues(wName);
  const dims = g.constantTensor(wName)?.dims.map(Number);
  if (!values || !dims || dims.length !== 2) fail(`the ${node.opType} weight is not a constant matrix`);
  const dense = traits!.denseWeight!(node);
  if (typeof dense === 'string') return fail(dense);
  let out = node.output[0]!;
  if (dense.biasAfter) {
    const next = g.consumers(out);
    if (next.length === 1 && next[0]!.opType === 'Add') out = next[0]!.output[0]!;
  }
  // Identity, Dropout: the logits unchanged (passesThrough)
  while (out !== model.logitsName) {
    const next = g.consumers(out);
    if (next.length !== 1 || !passesThrough(next[0]!.opType)) fail(`the linear layer's output '${out}' is not the logits`);
    out = next[0]!.output[0]!;
  }
  const [rows, cols] = [dims![0]!, dims![1]!];
  const w = values!;
  return dense.transposed
    ? { inputs: cols, outputs: rows, at: (c, k) => dense.scale * Number(w[k * cols + c]!) }
    : { inputs: rows, outputs: cols, at: (c, k) => dense.scale * Number(w[c * cols + k]!) };
}

/** The axes a ReduceMean averages over (attribute or, from opset 18, constant input: `reduceAxes`), undefined when not constant. */
function meanAxes(model: LumenModel, pool: NodeProto, rank: number): number[] | undefined {
  const g = model.graph;
  try {
    return reduceAxes(pool, rank, (i) => g.constantNumbers(pool.input[i]!), g.opset);
  } catch {
    return undefined;
  }
}

function sameSet(axes: readonly number[], ...options: (readonly number[])[]): boolean {
  const sorted = [...axes].sort((a, b) => a - b).join(',');
  return options.some((o) => [...o].sort((a, b) => a - b).join(',') === sorted);
}
