import { attrInts } from '../../onnx/attributes.js';
import { LumenError } from '../../errors.js';
import type { GradientContext } from '../types.js';
import { registerGradient } from '../registry.js';

/**
 * Route each output gradient to the input position MaxPool picked (ORT's Indices output: the FIRST maximum of
 * the window, as flat indices into the whole input) and add them up with ScatterElements(reduction='add') —
 * overlapping windows that share a maximum must accumulate (MaxUnpool would overwrite).
 */
registerGradient('MaxPool', (ctx) => {
  const { node, gradOutputs, needsGradient, graph } = ctx;
  if (!needsGradient(0)) return [];
  let indices = node.output[1];
  if (!indices) {
    // ask the forward node for its Indices too (costs nothing extra at run time)
    indices = graph.uniqueName('lumen_maxpool_indices');
    node.output[1] = indices;
  }
  if (ctx.opset < 16) {
    const kernel = attrInts(node, 'kernel_shape', []);
    const strides = attrInts(node, 'strides', kernel.map(() => 1));
    if (kernel.some((k, i) => k > strides[i]!)) {
      throw new LumenError('UNSUPPORTED_OP', `MaxPool '${node.name}' has overlapping windows; its gradient needs ScatterElements with reduction (opset ≥ 16, the model has ${ctx.opset})`);
    }
  }
  return [scatterToInput(ctx, node.input[0]!, gradOutputs[0]!, indices)];
});

/** gx (shaped like x) = Σ gy at flat positions `indices` (shaped like gy). */
export function scatterToInput(ctx: GradientContext, x: string, gy: string, indices: string): string {
  const { ops } = ctx;
  const flat = ops.int64s([-1]);
  const zeros = ops.op('ConstantOfShape', [ops.op('Reshape', [ops.op('Size', [x]), flat])]);
  const attrs = ctx.opset >= 16 ? { axis: { i: 0 }, reduction: { s: 'add' } } : { axis: { i: 0 } };
  const scattered = ops.op('ScatterElements', [zeros, ops.op('Reshape', [indices, flat]), ops.op('Reshape', [gy, flat])], attrs);
  return ops.reshapeLike(scattered, x);
}
