import { attrInt, attrInts, attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { poolGeometry, type ShapeContext } from '../../onnx/shapes.js';
import type { Dim } from '../../onnx/graph.js';

/**
 * ConvTranspose is the adjoint of Conv with the same weights, so its input gradient is a Conv of the output
 * gradient with the same strides, pads, dilations and group (output_padding only adds columns that Conv skips).
 */
registerOp('ConvTranspose', { kind: 'linear', doubleKernel: false, weightInput: 1, shape: convTransposeShape, layout: 'nchw', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
  if (!needsGradient(0)) return [undefined];
  if (attrInts(node, 'output_shape') || attrString(node, 'auto_pad', 'NOTSET') !== 'NOTSET') {
    throw new LumenError('UNSUPPORTED_OP', `ConvTranspose '${node.name}' with output_shape or auto_pad is not differentiated (explicit pads are)`);
  }
  const w = node.input[1]!;
  const spatial = shape(w).length - 2;
  const kernel = attrInts(node, 'kernel_shape') ?? (shape(w).slice(2) as number[]);
  return [
    ops.op('Conv', [gradOutputs[0]!, w], {
      strides: { ints: attrInts(node, 'strides', new Array<number>(spatial).fill(1)) },
      dilations: { ints: attrInts(node, 'dilations', new Array<number>(spatial).fill(1)) },
      pads: { ints: attrInts(node, 'pads', new Array<number>(2 * spatial).fill(0)) },
      group: { i: attrInt(node, 'group', 1) },
      kernel_shape: { ints: kernel },
    }),
  ];
});

/**
 * Output shape of ConvTranspose (static inference, src/onnx/shapes.ts): `output_shape` if given, else
 * stride·(in − 1) + output_padding + dilated kernel − pads; channels = weight's [1] × group.
 */
function convTransposeShape(c: ShapeContext): void {
  const { node } = c;
  const x = c.in(0);
  const w = c.in(1);
  const spatial = x.length - 2;
  const kernel = attrInts(node, 'kernel_shape') ?? w.slice(2).map(Number);
  const geometry = poolGeometry(node, x.slice(2), kernel);
  const channels = Number(w[1]) * attrInt(node, 'group', 1);
  const outShape = attrInts(node, 'output_shape');
  const outPad = attrInts(node, 'output_padding', new Array<number>(spatial).fill(0));
  const dims: Dim[] = [];
  for (let i = 0; i < spatial; i++) {
    const inD = x[2 + i]!;
    if (outShape) dims.push(outShape[outShape.length - spatial + i]!);
    else if (typeof inD !== 'number') dims.push('?');
    else dims.push(geometry.strides[i]! * (inD - 1) + outPad[i]! + ((kernel[i]! - 1) * geometry.dilations[i]! + 1) - geometry.pads[i]! - geometry.pads[i + spatial]!);
  }
  c.out([x[0]!, channels, ...dims]);
}
