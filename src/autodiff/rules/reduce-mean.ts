import { registerGradient } from '../registry.js';
import { reduceRule } from './reduce.js';

registerGradient('ReduceMean', reduceRule('mean'));
