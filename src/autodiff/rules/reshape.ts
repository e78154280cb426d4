import { registerGradient } from '../registry.js';
import type { GradientRule } from '../types.js';
import { unary } from './util.js';

/** Ops that keep the values in row-major order and only change the shape: reshape the gradient back to x's shape. */
export const reshapeBack: GradientRule = unary(({ ops }, x, _y, gy) => ops.reshapeLike(gy, x));

registerGradient('Reshape', reshapeBack);
