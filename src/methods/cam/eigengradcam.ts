import { defineCam, elementwise } from './base-cam.js';

/** EigenGradCAM: first principal component of G ⊙ A. */
export const eigengradcam = defineCam({
  id: 'eigengradcam',
  aliases: ['eigen-grad-cam'],
  title: 'EigenGradCAM',
  summary: 'The dominant spatial pattern of gradient × activation: class-specific and smoother than HiResCAM.',
  cost: '1 forward + backward to the layer + an SVD per image',
  reference: 'pytorch-grad-cam 1.5.5 EigenGradCAM (no conformance reference)',
  needsGradients: true,
  alwaysProject: true,
  contributions: (layer) => elementwise(layer, (a, g) => g * a),
});
