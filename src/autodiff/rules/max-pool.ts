import { attrInt, attrInts } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { poolGeometry, poolShape } from '../../onnx/shapes.js';
import type { GradientContext } from '../types.js';
import { registerOp } from '../registry.js';

/**
 * Each output gradient goes to the FIRST maximum (row-major) of its window, and overlapping windows that pick the
 * same position add up. ORT's MaxPool Indices output would give the positions directly, but that kernel is about
 * 300× slower than plain MaxPool, so the windows are unfolded instead:
 *   patches = depthwise Conv of x with one-hot kernels ([N, C·K, Ho, Wo], K = window size, exact copies),
 *   padded positions pushed to −1e30, the first maximum of each window marked (MaxPool over the slot axis, then
 *   the smallest slot holding it) → × gy,
 *   folded back with the transposed depthwise conv (ConvTranspose adds overlapping windows).
 * Falls back to Indices + ScatterElements when channels or spatial sizes are not static, and in float64 graphs.
 */
registerOp('MaxPool', { kind: 'pool', doubleKernel: true, outputTypes: ['input', 'int64'], shape: poolShape, layout: 'nchw', indexOutputs: true, lrp: 'pool', deeplift: 'max-pool' }, (ctx) => {
  const { node, gradOutputs, needsGradient, shape } = ctx;
  if (!needsGradient(0)) return [];
  if (attrInt(node, 'storage_order', 0) !== 0) throw new LumenError('UNSUPPORTED_OP', `MaxPool '${node.name}' with storage_order=1`);
  const x = node.input[0]!;
  const xs = shape(x);
  const ys = shape(node.output[0]!);
  // (float64 graphs: ORT has no double Conv/ConvTranspose, so the Indices path)
  if (ctx.precision !== 'float64' && [xs[1], ...xs.slice(2), ...ys.slice(2)].every((d) => typeof d === 'number')) return [unfoldedMaxPoolGradient(ctx, x, gradOutputs[0]!, xs.slice(1) as number[], ys.slice(2) as number[])];
  return [indicesGradient(ctx)];
});

function unfoldedMaxPoolGradient(ctx: GradientContext, x: string, gy: string, chw: number[], outSize: number[]): string {
  const { node, ops } = ctx;
  const [channels, ...inSize] = chw as [number, ...number[]];
  const spatial = inSize.length;
  const kernel = attrInts(node, 'kernel_shape', []);
  const g = poolGeometry(node, inSize, kernel);
  const window = kernel.reduce((a, b) => a * b, 1);
  // end pads so that a plain conv yields every (ceil_mode) window
  const padsEnd = inSize.map((d, i) => Math.max(g.pads[i + spatial]!, (outSize[i]! - 1) * g.strides[i]! + (kernel[i]! - 1) * g.dilations[i]! + 1 - d - g.pads[i]!));
  const pads = [...g.pads.slice(0, spatial), ...padsEnd];
  const oneHot = new Float32Array(channels * window * window);
  for (let c = 0; c < channels; c++) for (let k = 0; k < window; k++) oneHot[(c * window + k) * window + k] = 1;
  const kernels = ops.constant(oneHot, [channels * window, 1, ...kernel]);
  const geometry = { strides: { ints: g.strides }, dilations: { ints: g.dilations }, kernel_shape: { ints: kernel } };
  const patches = ops.op('Conv', [x, kernels], { ...geometry, pads: { ints: pads }, group: { i: channels } });
  const perWindow = ops.op('Reshape', [patches, ops.int64s([0, channels, window, ...outSize])]);
  // which window slots are real input positions (not padding): a constant of the geometry
  const valid = new Float32Array(window * outSize.reduce((a, b) => a * b, 1));
  const outCount = valid.length / window;
  for (let k = 0; k < window; k++) {
    for (let o = 0; o < outCount; o++) {
      let rem = o;
      let remK = k;
      let inside = true;
      for (let i = spatial - 1; i >= 0; i--) {
        const oi = rem % outSize[i]!;
        const ki = remK % kernel[i]!;
        rem = Math.floor(rem / outSize[i]!);
        remK = Math.floor(remK / kernel[i]!);
        const p = oi * g.strides[i]! + ki * g.dilations[i]! - g.pads[i]!;
        if (p < 0 || p >= inSize[i]!) inside = false;
      }
      valid[k * outCount + o] = inside ? 0 : -1e30;
    }
  }
  const positions = outSize.reduce((a, b) => a * b, 1);
  // [N, C, K, P] with the window slots on the third axis; MaxPool over it is fast (ArgMax there is ~50× slower)
  // (windows that never touch padding skip the mask: one pass less over K× the output)
  const masked = valid.some((v) => v !== 0) ? ops.add(perWindow, ops.constant(valid, [1, 1, window, ...outSize])) : perWindow;
  const scores = ops.op('Reshape', [masked, ops.int64s([0, channels, window, positions])]);
  const overWindow = { kernel_shape: { ints: [window, 1] } };
  const best = ops.op('MaxPool', [scores], overWindow);
  // first maximum: among the slots holding the maximum, the one with the largest K − slot (Where is slow in ORT)
  const rank = ops.constant(Float32Array.from({ length: window }, (_, k) => window - k), [1, 1, window, 1]);
  const code = ops.mul(ops.toFloat(ops.op('Equal', [scores, best])), rank);
  const picked = ops.toFloat(ops.op('Equal', [code, ops.op('MaxPool', [code], overWindow)]));
  const routed = ops.mul(picked, ops.op('Reshape', [gy, ops.int64s([0, channels, 1, positions])]));
  const stacked = ops.op('Reshape', [routed, ops.int64s([0, channels * window, ...outSize])]);
  // fold back: ConvTranspose output = s(out−1) + span − padBegin − padEnd, widened or padded to the input size
  const outputPadding: number[] = [];
  const foldPadsEnd: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const reach = g.strides[i]! * (outSize[i]! - 1) + (kernel[i]! - 1) * g.dilations[i]! + 1 - g.pads[i]!;
    if (reach - padsEnd[i]! >= inSize[i]!) {
      foldPadsEnd.push(reach - inSize[i]!);
      outputPadding.push(0);
    } else {
      foldPadsEnd.push(padsEnd[i]!);
      outputPadding.push(inSize[i]! - (reach - padsEnd[i]!));
    }
  }
  return ops.op('ConvTranspose', [stacked, kernels], {
    ...geometry,
    pads: { ints: [...g.pads.slice(0, spatial), ...foldPadsEnd] },
    group: { i: channels },
    output_padding: { ints: outputPadding },
  });
}

/** ORT's Indices output (first maximum, flat positions in the whole input) scattered back with reduction='add'. */
function indicesGradient(ctx: GradientContext): string {
  const { node, graph, gradOutputs } = ctx;
  let indices = node.output[1];
  if (!indices) {
    indices = graph.uniqueName('lumen_maxpool_indices');
    graph.renameOutput(node, 1, indices);
  }
  if (ctx.opset < 16) {
    const kernel = attrInts(node, 'kernel_shape', []);
    const strides = attrInts(node, 'strides', kernel.map(() => 1));
    if (kernel.some((k, i) => k > strides[i]!)) {
      throw new LumenError('UNSUPPORTED_OP', `MaxPool '${node.name}' has overlapping windows and dynamic shapes; its gradient needs ScatterElements with reduction (opset ≥ 16, the model has ${ctx.opset})`);
    }
  }
  return scatterToInput(ctx, node.input[0]!, gradOutputs[0]!, indices);
}

/** gx (shaped like x) = Σ gy at flat positions `indices` (shaped like gy). */
export function scatterToInput(ctx: GradientContext, x: string, gy: string, indices: string): string {
  const { ops } = ctx;
  const flat = ops.int64s([-1]);
  const zeros = ops.op('ConstantOfShape', [ops.op('Reshape', [ops.op('Size', [x]), flat])]);
  const attrs = ctx.opset >= 16 ? { axis: { i: 0 }, reduction: { s: 'add' } } : { axis: { i: 0 } };
  const scattered = ops.op('ScatterElements', [zeros, ops.op('Reshape', [indices, flat]), ops.op('Reshape', [gy, flat])], attrs);
  return ops.reshapeLike(scattered, x);
}
