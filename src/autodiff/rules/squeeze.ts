import { registerGradient } from '../registry.js';
import { reshapeBack } from './reshape.js';

registerGradient('Squeeze', reshapeBack);
