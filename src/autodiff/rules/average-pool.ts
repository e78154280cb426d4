import { attrInt, attrInts } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { poolGeometry, poolShape } from '../../onnx/shapes.js';
import { registerOp } from '../registry.js';

/**
 * gx = depthwise ConvTranspose of (gy / divisor) with an all-ones kernel. The divisor of each output position
 * (kernel size with count_include_pad, else the number of real input elements in the window; windows are
 * clipped to input + pads, also under ceil_mode) depends only on geometry and is a constant.
 */
registerOp('AveragePool', { kind: 'pool', doubleKernel: false, shape: poolShape, layout: 'nchw', lrp: 'average-pool', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const xs = shape(x);
  const ys = shape(node.output[0]!);
  const spatial = xs.length - 2;
  const kernel = attrInts(node, 'kernel_shape', []);
  const g = poolGeometry(node, xs.slice(2), kernel);
  const channels = xs[1];
  const inSize = xs.slice(2);
  const outSize = ys.slice(2);
  if (typeof channels !== 'number' || !inSize.every((d) => typeof d === 'number') || !outSize.every((d) => typeof d === 'number')) {
    throw new LumenError('UNSUPPORTED_MODEL', `AveragePool '${node.name}': channels and spatial size must be known statically`);
  }
  const countPad = attrInt(node, 'count_include_pad', 0) === 1;
  const ins = inSize as number[];
  const outs = outSize as number[];
  // per-axis window extents, then the divisor map as an outer product over axes
  const perAxis = ins.map((inD, i) => {
    const s = g.strides[i]!;
    const span = (kernel[i]! - 1) * g.dilations[i]! + 1;
    return Array.from({ length: outs[i]! }, (_, o) => {
      const start = o * s - g.pads[i]!;
      const end = Math.min(start + span, inD + g.pads[i + spatial]!);
      const count = (from: number, to: number): number => {
        let c = 0;
        for (let p = start; p < end; p += g.dilations[i]!) if (p >= from && p < to) c++;
        return c;
      };
      return countPad ? count(-g.pads[i]!, inD + g.pads[i + spatial]!) : count(0, inD);
    });
  });
  const total = outs.reduce((a, b) => a * b, 1);
  const inverse = new Float32Array(total);
  for (let flat = 0; flat < total; flat++) {
    let rem = flat;
    let d = 1;
    for (let i = spatial - 1; i >= 0; i--) {
      d *= perAxis[i]![rem % outs[i]!]!;
      rem = Math.floor(rem / outs[i]!);
    }
    inverse[flat] = d > 0 ? 1 / d : 0;
  }
  const scaled = ops.mul(gradOutputs[0]!, ops.constant(inverse, [1, 1, ...outs]));
  // ConvTranspose output = s(out−1) + span − padBegin − padEnd: widen padEnd (crop) or add output_padding to land on the input size
  const padsEnd: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < spatial; i++) {
    const span = (kernel[i]! - 1) * g.dilations[i]! + 1;
    const reach = g.strides[i]! * (outs[i]! - 1) + span - g.pads[i]!;
    if (reach - g.pads[i + spatial]! >= ins[i]!) {
      padsEnd.push(reach - ins[i]!);
      outputPadding.push(0);
    } else {
      padsEnd.push(g.pads[i + spatial]!);
      outputPadding.push(ins[i]! - (reach - g.pads[i + spatial]!));
    }
  }
  const ones = ops.constant(new Float32Array(channels * kernel.reduce((a, b) => a * b, 1)).fill(1), [channels, 1, ...kernel]);
  return [
    ops.op('ConvTranspose', [scaled, ones], {
      strides: { ints: g.strides },
      dilations: { ints: g.dilations },
      pads: { ints: [...g.pads.slice(0, spatial), ...padsEnd] },
      group: { i: channels },
      kernel_shape: { ints: kernel },
      output_padding: { ints: outputPadding },
    }),
  ];
});
