import { registerOp } from '../registry.js';
import { reshapeBack } from './reshape.js';

registerOp('Flatten', { kind: 'shape-only', doubleKernel: true, headBoundary: true, lrp: 'plain', deeplift: 'plain' }, reshapeBack);
