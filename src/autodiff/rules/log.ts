import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('Log', unary(({ ops }, x, _y, gy) => ops.div(gy, x)));
