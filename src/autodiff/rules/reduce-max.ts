import { registerGradient } from '../registry.js';
import { reduceRule } from './reduce.js';

registerGradient('ReduceMax', reduceRule('max'));
