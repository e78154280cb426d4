import { defineCam, elementwise } from './base-cam.js';

/** LayerCAM: map = Σ_c max(G_c, 0) ⊙ A_c. */
export const layercam = defineCam({
  id: 'layercam',
  aliases: ['layer-cam'],
  title: 'LayerCAM',
  summary: 'Activations weighted by their positive gradient at each position; works on shallow layers too.',
  reference: 'pytorch-grad-cam 1.5.5 LayerCAM',
  needsGradients: true,
  contributions: (layer) => elementwise(layer, (a, g) => Math.max(g, 0) * a),
});
