import { computeGradients } from '../../autodiff/index.js';
import { LumenError } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { attrFloat } from '../../onnx/attributes.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { Explanation, Method, Timings } from '../types.js';
import { CAM_OPTIONS, expandTargets, imageDims, minMaxInPlace, nchw, resizeLinear, resolveCamTargets, withAugmentation } from './base-cam.js';
import { targetRequest, type ResolvedTargets } from '../../targets/index.js';

/** A layer with a per-channel bias: its output tensor and the bias vector. */
interface BiasLayer {
  output: string;
  bias: Float32Array;
}

/**
 * FullGrad (pytorch-grad-cam): Σ_input-channels minmax(|x ⊙ dY/dx|) + Σ_bias-layers Σ_c minmax(resize(|b_c ⊙
 * dY/dOut_c|)), then one min-max. Bias layers are Conv nodes with a bias and BatchNormalization nodes (bias
 * β − mean·γ/√(var + ε)); after export, eval BatchNorm is usually folded into the Conv's bias. Target layers are
 * ignored. minmax = pytorch-grad-cam scale_cam_image (eps 1e-7), resize = cv2 bilinear.
 */
export const fullgrad: Method = registerMethod({
  info: {
    id: 'fullgrad',
    aliases: ['full-grad'],
    title: 'FullGrad',
    family: 'cam',
    summary: 'Input-gradient and bias-gradient maps of every layer, summed: a complete decomposition of the output.',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: false,
    output: 'map',
    signed: false,
    cost: '1 forward + backward to the input and every biased layer',
    reference: 'pytorch-grad-cam 1.5.5 FullGrad',
    options: CAM_OPTIONS.filter((o): o is Exclude<(typeof CAM_OPTIONS)[number], { name: 'eigenSmooth' }> => o.name !== 'eigenSmooth'),
  },
  async explain(model, input, opts) {
    // (not declared, so a given value reaches here as it was passed)
    if (opts.eigenSmooth) throw new LumenError('BAD_OPTION', 'fullgrad does not support eigenSmooth', 2);
    const timings: Timings = { compileMs: 0, runMs: 0 };
    const { input: batch, spec } = expandTargets(input, opts.target);
    const targets = await resolveCamTargets(model, batch, spec, { timings });
    const layers = biasLayers(model);
    let lastSums: Float32Array = new Float32Array(0);
    const compute = async (x: Tensor, t: ResolvedTargets): Promise<Float32Array> => {
      const sums = await fullgradSums(model, x, t, layers, timings);
      lastSums = sums;
      const [n, , H, W] = imageDims(x);
      const finals = new Float32Array(n * H * W);
      for (let i = 0; i < n; i++) finals.set(minMaxInPlace(sums.slice(i * H * W, (i + 1) * H * W)), i * H * W);
      return finals;
    };
    const finals = opts.augSmooth ? await withAugmentation(model, batch, targets, compute) : await compute(batch, targets);
    const [n, , H, W] = imageDims(batch);
    const explanation: Explanation = { method: 'fullgrad', attribution: new Tensor(finals, [n, 1, H, W]), targets: targets.classes, extras: { biasLayers: layers.length }, timings };
    // With augSmooth the raw sum is the un-augmented variant's (the second of the six: no flip, factor 1).
    const plane = n * H * W;
    if (opts.raw) explanation.extras.raw = new Tensor(opts.augSmooth ? lastSums.slice(plane, 2 * plane) : lastSums, [n, 1, H, W]);
    return explanation;
  },
});

/** The summed map before the final min-max, [N·H·W]. */
async function fullgradSums(model: LumenModel, input: Tensor, targets: ResolvedTargets, layers: readonly BiasLayer[], timings: Timings): Promise<Float32Array> {
  const wrt = [model.inputName, ...layers.map((l) => l.output)];
  const r = await computeGradients(model, input, targets.seed, { wrt, fetch: [], ...targetRequest(targets) });
  timings.compileMs += r.compileMs;
  timings.runMs += r.runMs;
  const [n, c, H, W] = imageDims(input);
  const plane = H * W;
  const sums = new Float64Array(n * plane);
  const gx = r.gradients[model.inputName]!;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const map = new Float32Array(plane);
      for (let p = 0; p < plane; p++) {
        const at = (i * c + ch) * plane + p;
        map[p] = Math.abs(input.data[at]! * gx.data[at]!);
      }
      minMaxInPlace(map);
      for (let p = 0; p < plane; p++) sums[i * plane + p]! += map[p]!;
    }
  }
  for (const layer of layers) {
    const g = r.gradients[layer.output];
    if (!g) throw new Error(`internal: no gradient for bias layer '${layer.output}'`);
    if (g.rank !== 4) continue;
    const [, lc, h, w] = nchw(g);
    for (let i = 0; i < n; i++) {
      for (let ch = 0; ch < lc; ch++) {
        const b = layer.bias[ch]!;
        const off = (i * lc + ch) * h * w;
        const map = new Float32Array(h * w);
        for (let p = 0; p < h * w; p++) map[p] = Math.abs(b * g.data[off + p]!);
        const up = resizeLinear(minMaxInPlace(map), h, w, H, W);
        for (let p = 0; p < plane; p++) sums[i * plane + p]! += up[p]!;
      }
    }
  }
  return Float32Array.from(sums);
}

/**
 * Conv nodes with a constant bias, and BatchNormalization nodes (their effective bias), in graph order. The op names
 * are FullGrad's definition, not op knowledge: pytorch-grad-cam takes exactly nn.Conv2d and nn.BatchNorm2d modules,
 * and computes the BatchNorm bias as get_bias_data does, −(mean·γ/√(var + ε)) + β, in that order (the BN folding
 * canonizer's (0 − mean)·(γ/√(var + ε)) + β rounds differently).
 */
export function biasLayers(model: LumenModel): BiasLayer[] {
  const g = model.graph;
  const out: BiasLayer[] = [];
  for (const node of g.nodes) {
    if (node.opType === 'Conv' && node.input[2]) {
      const bias = g.constantNumbers(node.input[2]);
      if (!bias) throw new LumenError('UNSUPPORTED_MODEL', `FullGrad: the bias of Conv '${node.name}' is not a constant`);
      out.push({ output: node.output[0]!, bias: Float32Array.from(bias) });
    } else if (node.opType === 'BatchNormalization') {
      const [scale, beta, mean, variance] = [1, 2, 3, 4].map((k) => g.constantNumbers(node.input[k] ?? ''));
      if (!scale || !beta || !mean || !variance) throw new LumenError('UNSUPPORTED_MODEL', `FullGrad: BatchNormalization '${node.name}' has non-constant parameters`);
      const eps = attrFloat(node, 'epsilon', 1e-5);
      out.push({ output: node.output[0]!, bias: Float32Array.from(beta, (b, c) => b - (mean[c]! * scale[c]!) / Math.sqrt(variance[c]! + eps)) });
    }
  }
  return out;
}
