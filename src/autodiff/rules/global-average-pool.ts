import { LumenError } from '../../errors.js';
import { registerGradient } from '../registry.js';
import { unary } from './util.js';

registerGradient('GlobalAveragePool', unary(({ ops, shape, node }, x, _y, gy) => {
  const area = shape(x).slice(2).reduce<number>((a, d) => {
    if (typeof d !== 'number') throw new LumenError('UNSUPPORTED_MODEL', `GlobalAveragePool '${node.name}': spatial size must be known statically`);
    return a * d;
  }, 1);
  return ops.expandLike(ops.scale(gy, 1 / area), x);
}));
