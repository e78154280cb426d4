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
