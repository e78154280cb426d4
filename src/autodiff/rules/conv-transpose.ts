import { attrInt, attrInts, attrString } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import { registerOp } from '../registry.js';
import { convPoolShape } from '../../onnx/shapes.js';

/**
 * ConvTranspose is the adjoint of Conv with the same weights, so its input gradient is a Conv of the output
 * gradient with the same strides, pads, dilations and group (output_padding only adds columns that Conv skips).
 */
registerOp('ConvTranspose', { kind: 'linear', doubleKernel: false, weightInput: 1, shape: convPoolShape, layout: 'nchw', lrp: 'plain', deeplift: 'plain' }, ({ node, gradOutputs, needsGradient, ops, shape }) => {
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
