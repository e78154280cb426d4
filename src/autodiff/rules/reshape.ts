import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// Ops that only rearrange the same values in row-major order: the gradient is reshaped back to x's shape.
for (const op of ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']) {
  registerGradient(op, unary(({ ops }, x, _y, gy) => ops.reshapeLike(gy, x)));
}
