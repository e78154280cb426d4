import { attrInt, attrInts } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { poolGeometry, windowedShape, type ShapeContext } from '../../onnx/shapes.js';
import { registerOp } from '../registry.js';
import { depthwiseChannels } from './util.js';

/**
 * Input gradient of Conv. Stride 1: a plain Conv of the output gradient with the kernel flipped and its in/out
 * channels swapped per group (ORT's Conv is ~1.5–2× faster than its ConvTranspose; the weight transform runs on a
 * constant and is folded when the session is created). Otherwise: ConvTranspose of the output gradient with the same weights, strides, dilations and
 * group, the (auto_pad-resolved) pads given explicitly, and an explicit output_padding that restores the input
 * size (ConvTranspose's output_shape attribute is not used: it misplaces asymmetric pads in ORT).
 * Weight gradients are never needed by attribution methods and are not built.
 */
registerOp('Conv', { kind: 'linear', doubleKernel: false, weightInput: 1, foldsWeights: true, shape: convShape, layout: 'nchw', lrp: 'conv-layer', deeplift: 'plain' }, (ctx) => {
  const { node, gradOutputs, needsGradient, ops, shape } = ctx;
  const gy = gradOutputs[0]!;
  const [x, w, bias] = [node.input[0]!, node.input[1]!, node.input[2]];
  const xs = shape(x);
  const ws = shape(w);
  const spatial = xs.length - 2;
  const kernel = attrInts(node, 'kernel_shape') ?? ws.slice(2).map(Number);
  const g = poolGeometry(node, xs.slice(2), kernel);
  const ys = shape(node.output[0]!);
  let gx: string | undefined;
  const group = attrInt(node, 'group', 1);
  const span = kernel.map((k, i) => (k - 1) * g.dilations[i]!);
  // output_padding that makes the transposed convolution land exactly on the input size
  const outputPadding: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const [inD, outD] = [xs[2 + i]!, ys[2 + i]!];
    if (typeof inD !== 'number' || typeof outD !== 'number') throw new LumenError('UNSUPPORTED_MODEL', `Conv '${node.name}': spatial size must be known statically`);
    outputPadding.push(inD - (g.strides[i]! * (outD - 1) + span[i]! + 1 - g.pads[i]! - g.pads[i + spatial]!));
  }
  const padsBegin = span.map((sp, i) => sp - g.pads[i]!);
  const padsEnd = span.map((sp, i) => sp - g.pads[i + spatial]! + outputPadding[i]!);
  // (inserting zeros for strided convs was tried: ORT's Pad/DepthToSpace/Resize make it slower than ConvTranspose;
  // so was a polyphase split, one stride-1 Conv per output phase interleaved by Concat + DepthToSpace: exact and
  // zero-free, but ORT's DepthToSpace alone costs more than the ConvTransposes it replaces — MobileNetV2 saliency
  // 33.6 → 37.3 ms, DepthToSpace 8.5 ms against 4.9 ms of depthwise ConvTranspose)
  // 1×1 kernels too: ConvTranspose would need no weight transform, but ORT cannot run it in the blocked layout
  // (measured on ResNet-50 saliency: 2.77 → 2.51× forward; the weight transform adds ~0.2 s to the session)
  const flippedConv = g.strides.every((st) => st === 1) && kernel.length > 0 && [...padsBegin, ...padsEnd].every((p) => p >= 0) && ws.every((d) => typeof d === 'number') && ys.slice(1).every((d) => typeof d === 'number');
  if (needsGradient(0) && flippedConv) {
    const [m, cPerGroup] = [ws[0] as number, ws[1] as number];
    const kdims = ws.slice(2) as number[];
    const weights = ctx.foldWeights ? ctx.graph.constantValues(w) : undefined;
    const folded = weights instanceof Float32Array ? ops.constant(swapFlip(weights, m, cPerGroup, group, kdims), [group * cPerGroup, m / group, ...kdims]) : undefined;
    // [M, C/g, k…] → [g, M/g, C/g, k…] → [g, C/g, M/g, k…] → [C, M/g, k…], then reverse every spatial axis. ORT folds
    // these ops on the constant weights when the session is created, so they are kept to the fewest: one Transpose
    // when group = 1, no reversal for 1×1 kernels.
    let swapped: string;
    if (folded) {
      swapped = folded;
    } else if (group === 1) {
      swapped = ops.transpose(w, [1, 0, ...kdims.map((_, i) => i + 2)]);
    } else {
      const grouped = ops.op('Reshape', [w, ops.int64s([group, m / group, cPerGroup, ...kdims])]);
      const swappedGroups = ops.transpose(grouped, [0, 2, 1, ...kdims.map((_, i) => i + 3)]);
      swapped = ops.op('Reshape', [swappedGroups, ops.int64s([group * cPerGroup, m / group, ...kdims])]);
    }
    const axes = kdims.map((_, i) => i + 2).filter((a) => kdims[a - 2]! > 1);
    const flipped = axes.length === 0 || folded ? swapped : ops.op('Slice', [swapped, ops.int64s(axes.map(() => -1)), ops.int64s(axes.map(() => -1e18)), ops.int64s(axes), ops.int64s(axes.map(() => -1))]);
    gx = ops.op('Conv', [gy, flipped], {
      dilations: { ints: g.dilations },
      pads: { ints: [...padsBegin, ...padsEnd] },
      group: { i: group },
      kernel_shape: { ints: kernel },
    });
  } else if (needsGradient(0)) {
    const ct = ops.op('ConvTranspose', [gy, w], {
      strides: { ints: g.strides },
      dilations: { ints: g.dilations },
      pads: { ints: g.pads },
      group: { i: group },
      kernel_shape: { ints: kernel },
      output_padding: { ints: outputPadding },
    });
    // an identity depthwise conv brings the gradient back into ORT's blocked layout for the ops that follow
    const channels = depthwiseChannels(ctx, x);
    gx = channels !== undefined ? ops.depthwiseAffine(ct, channels, 1, 0) : ct;
  }
  const gb = bias && needsGradient(2) ? ops.reduceSum(gy, [0, ...Array.from({ length: spatial }, (_, i) => i + 2)], false) : undefined;
  return [gx, undefined, gb];
});

/**
 * The kernel the nodes above compute, computed here (GradientContext.foldWeights): [M, C/g, k…] → [C, M/g, k…] with
 * in/out channels swapped per group and every spatial axis reversed (reversing the flat spatial index reverses them all).
 */
function swapFlip(w: Float32Array, m: number, cPerGroup: number, group: number, kdims: readonly number[]): Float32Array {
  const k = kdims.reduce((a, d) => a * d, 1);
  const mPerGroup = m / group;
  const out = new Float32Array(w.length);
  for (let g = 0; g < group; g++) {
    for (let c = 0; c < cPerGroup; c++) {
      for (let o = 0; o < mPerGroup; o++) {
        const to = ((g * cPerGroup + c) * mPerGroup + o) * k;
        const from = ((g * mPerGroup + o) * cPerGroup + c) * k;
        for (let i = 0; i < k; i++) out[to + i] = w[from + k - 1 - i]!;
      }
    }
  }
  return out;
}

/** Output shape of Conv (static inference, src/onnx/shapes.ts): its weight's output channels, windows by its kernel. */
function convShape(c: ShapeContext): void {
  const w = c.in(1);
  windowedShape(c, attrInts(c.node, 'kernel_shape') ?? w.slice(2).map(Number), w[0]!);
}
