import { defineCam, elementwise } from './base-cam.js';

/** HiResCAM: map = Σ_c G_c ⊙ A_c (no spatial averaging of the gradient). */
export const hirescam = defineCam({
  id: 'hirescam',
  aliases: ['hires-cam'],
  title: 'HiResCAM',
  summary: 'Element-wise gradient × activation summed over channels: faithful to what the layer computes at each position.',
  reference: 'pytorch-grad-cam 1.5.5 HiResCAM',
  needsGradients: true,
  contributions: (layer) => elementwise(layer, (a, g) => g * a),
});
