import { defineCam } from './base-cam.js';

/** EigenCAM: first principal component of the layer's activations (no gradient, target ignored). */
export const eigencam = defineCam({
  id: 'eigencam',
  aliases: ['eigen-cam'],
  title: 'EigenCAM',
  summary: 'The dominant spatial pattern of the layer (first principal component); class-agnostic.',
  cost: '1 forward to the layer + an SVD per image',
  reference: 'pytorch-grad-cam 1.5.5 EigenCAM (up to the SVD sign)',
  caveat: 'EigenCAM ignores the target class: it is the first principal component of the activations.',
  needsGradients: false,
  alwaysProject: true,
  contributions: (layer) => layer.activations.data.slice(),
});
