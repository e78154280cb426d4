import { attrInt, attrInts, attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import type { ShapeContext } from '../../onnx/shapes.js';
import type { Dim } from '../../onnx/graph.js';
import type { NodeProto } from '../../onnx/proto.js';
import { registerOp } from '../registry.js';
import type { GradientContext } from '../types.js';

/**
 * Resize (nearest / linear) is linear in x and separable per axis: y = M_h · x · M_wᵀ over the last two axes.
 * Its gradient is gx = M_hᵀ · gy · M_w, two MatMuls with constant interpolation matrices built from the ONNX
 * coordinate transform (geometry only, no data).
 */
registerOp('Resize', { kind: 'data', doubleKernel: false, shape: resizeShape, layout: 'keeps', lrp: 'plain', deeplift: 'plain' }, (ctx) => resizeGradient(ctx));
registerOp('Upsample', { kind: 'data', doubleKernel: false, shape: resizeShape, layout: 'keeps', lrp: 'plain', deeplift: 'plain' }, (ctx) => resizeGradient(ctx));

function resizeGradient({ node, gradOutputs, needsGradient, ops, shape, constantNumbers, opset }: GradientContext): (string | undefined)[] {
  if (!needsGradient(0)) return [];
  const x = node.input[0]!;
  const xs = shape(x);
  const ys = shape(node.output[0]!);
  const mode = attrString(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') throw new LumenError('UNSUPPORTED_OP', `Resize '${node.name}' in mode '${mode}' is not differentiated (nearest and linear are)`);
  if (attrInt(node, 'antialias', 0) === 1) throw new LumenError('UNSUPPORTED_OP', `Resize '${node.name}' with antialias is not differentiated`);
  const coord = node.opType === 'Upsample' || opset < 11 ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = opset < 11 ? 'floor' : attrString(node, 'nearest_mode', 'round_prefer_floor');
  // sizes computed from the input's shape (F.interpolate(size=x.shape[2:])) hold the batch symbol: the scale of an
  // axis is then its static output size over its input size, as ONNX defines it for `sizes`
  const known = (i: number): number[] | undefined => constantNumbers(node.input[i]!);
  const { scales } = resizeScales(node, xs, (i) => known(i) ?? (i === 3 ? ys.map((d, a) => (typeof d === 'number' ? d : typeof xs[a] === 'number' ? (xs[a] as number) : 1)) : undefined), opset);
  const rank = xs.length;
  let g = gradOutputs[0]!;
  for (let axis = 0; axis < rank; axis++) {
    const [inD, outD] = [xs[axis]!, ys[axis]!];
    if (inD === outD && (scales[axis] ?? 1) === 1) continue;
    if (axis < rank - 2 || typeof inD !== 'number' || typeof outD !== 'number') {
      throw new LumenError('UNSUPPORTED_OP', `Resize '${node.name}': only resizing of the last two axes with static sizes is differentiated`);
    }
    const m = interpolationMatrix(inD, outD, scales[axis] ?? outD / inD, mode, coord, nearest, node.name);
    if (axis === rank - 1) {
      g = ops.op('MatMul', [g, ops.constant(m, [outD, inD])]); // [.., out] · [out, in]
    } else {
      g = ops.op('MatMul', [ops.constant(transposed(m, outD, inD), [inD, outD]), g]); // [in, out] · [.., out, W]
    }
  }
  return [g];
}

function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** M[o, i] = weight of input i in output o along one axis. */
function interpolationMatrix(inD: number, outD: number, scale: number, mode: string, coord: string, nearest: string, name: string): Float32Array {
  const m = new Float32Array(outD * inD);
  for (let o = 0; o < outD; o++) {
    let src: number;
    switch (coord) {
      case 'half_pixel': src = (o + 0.5) / scale - 0.5; break;
      case 'pytorch_half_pixel': src = outD > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
      case 'align_corners': src = outD > 1 ? (o * (inD - 1)) / (outD - 1) : 0; break;
      case 'asymmetric': src = o / scale; break;
      case 'tf_half_pixel_for_nn': src = (o + 0.5) / scale; break;
      default: throw new LumenError('UNSUPPORTED_OP', `Resize '${name}': coordinate_transformation_mode '${coord}' is not differentiated`);
    }
    if (mode === 'nearest') {
      let i: number;
      const frac = src - Math.floor(src);
      switch (nearest) {
        case 'round_prefer_floor': i = frac === 0.5 ? Math.floor(src) : Math.round(src); break;
        case 'round_prefer_ceil': i = frac === 0.5 ? Math.ceil(src) : Math.round(src); break;
        case 'floor': i = Math.floor(src); break;
        case 'ceil': i = Math.ceil(src); break;
        default: throw new LumenError('UNSUPPORTED_OP', `Resize '${name}': nearest_mode '${nearest}'`);
      }
      i = Math.min(Math.max(i, 0), inD - 1);
      m[o * inD + i] = 1;
    } else {
      const c = Math.min(Math.max(src, 0), inD - 1);
      const i0 = Math.floor(c);
      const i1 = Math.min(i0 + 1, inD - 1);
      const w1 = c - i0;
      m[o * inD + i0] += 1 - w1;
      m[o * inD + i1] += w1;
    }
  }
  return m;
}

/** Output shape of Resize/Upsample (static inference, src/onnx/shapes.ts): sizes folded from the input shape keep its symbolic batch. */
function resizeShape(c: ShapeContext): void {
  const { node } = c;
  const op = node.opType;
  const x = c.in(0);
  // sizes folded from the input's shape keep its symbolic batch: [N, C, h, w]
  const sizes = op === 'Resize' && c.has(3) && !(c.has(2) && c.numbers(2)?.length) ? c.value(3) : undefined;
  if (sizes && sizes.length === x.length && !attrInts(node, 'axes')) c.out([...sizes]);
  else c.out(resizeOutputDims(node, x, (i) => c.numbers(i), c.graph.opset));
}

/** Scales of a Resize node per axis (from `scales`, or from `sizes` as out/in). */
function resizeScales(node: NodeProto, x: readonly Dim[], numbers: (i: number) => number[] | undefined, opset: number): { scales: number[]; sizes?: number[] } {
  if (node.opType === 'Upsample') {
    const s = opset >= 9 ? numbers(1) : attrFloatsOf(node);
    if (!s) throw new LumenError('UNSUPPORTED_OP', `Upsample '${node.name}': scales must be constants`);
    return { scales: s };
  }
  const scalesIdx = opset >= 11 ? 2 : 1;
  const sizesIdx = 3;
  const scales = node.input[scalesIdx] ? numbers(scalesIdx) : undefined;
  if (scales && scales.length > 0) return { scales };
  const sizes = node.input[sizesIdx] ? numbers(sizesIdx) : undefined;
  if (!sizes) throw new LumenError('UNSUPPORTED_OP', `Resize '${node.name}': scales or sizes must be constants`);
  const axes = opset >= 18 ? attrInts(node, 'axes') : undefined;
  const full = x.map(() => 1);
  const fullSizes = x.map((d) => (typeof d === 'number' ? d : -1));
  (axes ?? x.map((_, i) => i)).forEach((a, i) => {
    const ax = a < 0 ? a + x.length : a;
    const d = x[ax]!;
    if (typeof d !== 'number') return;
    full[ax] = sizes[i]! / d;
    fullSizes[ax] = sizes[i]!;
  });
  return { scales: full, sizes: fullSizes };
}

function attrFloatsOf(node: NodeProto): number[] | undefined {
  const a = node.attribute.find((x) => x.name === 'scales');
  return a ? [...a.floats] : undefined;
}

function resizeOutputDims(node: NodeProto, x: readonly Dim[], numbers: (i: number) => number[] | undefined, opset: number): Dim[] {
  const { scales, sizes } = resizeScales(node, x, numbers, opset);
  return x.map((d, i) => {
    if (sizes && sizes[i]! >= 0) return sizes[i]!;
    const s = scales[i] ?? 1;
    if (s === 1) return d;
    return typeof d === 'number' ? Math.floor(d * s) : '?';
  });
}
