import { registerGradient } from '../registry.js';
import { unary } from './util.js';

// Pass-through in inference (Dropout's mask output carries no gradient).
for (const op of ['Identity', 'Dropout']) {
  registerGradient(op, unary((_ctx, _x, _y, gy) => gy));
}
