import type { GradientContext, GradientRule } from '../types.js';

/**
 * A rule for a one-input, one-output op: `vjp(ctx, x, y, gy)` returns the gradient w.r.t. x. Extra inputs
 * (Clip bounds, exponents, …) are read by the rule itself and get no gradient.
 */
export function unary(vjp: (ctx: GradientContext, x: string, y: string, gy: string) => string): GradientRule {
  return (ctx) => {
    const gy = ctx.gradOutputs[0];
    if (gy === undefined || !ctx.needsGradient(0)) return [];
    return [vjp(ctx, ctx.node.input[0]!, ctx.node.output[0]!, gy)];
  };
}

/** Normalise a possibly negative axis. */
export function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/**
 * C of a 4-D [N, C, h, w] tensor with a static channel count, when a rule may build depthwise 1×1 convolutions on it
 * (the forms that keep gradients in ORT's blocked layout); undefined otherwise, and in float64 graphs (ORT has no
 * double Conv kernel).
 */
export function depthwiseChannels(ctx: GradientContext, tensor: string): number | undefined {
  if (ctx.precision === 'float64') return undefined;
  const dims = ctx.shape(tensor);
  return dims.length === 4 && typeof dims[1] === 'number' ? dims[1] : undefined;
}
