import { registerOp } from '../registry.js';
import { reshapeBack } from './reshape.js';

registerOp('Squeeze', { kind: 'shape-only', doubleKernel: true, lrp: 'plain', deeplift: 'plain' }, reshapeBack);
