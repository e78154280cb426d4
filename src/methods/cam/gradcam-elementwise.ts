import { defineCam, elementwise } from './base-cam.js';

/** Grad-CAM element-wise: map = Σ_c max(G_c ⊙ A_c, 0). */
export const gradcamElementwise = defineCam({
  id: 'gradcam-elementwise',
  aliases: ['gradcamelementwise', 'grad-cam-elementwise'],
  title: 'Grad-CAM (element-wise)',
  summary: 'Positive part of gradient × activation at every position and channel, summed over channels.',
  reference: 'pytorch-grad-cam 1.5.5 GradCAMElementWise (no conformance reference)',
  needsGradients: true,
  contributions: (layer) => elementwise(layer, (a, g) => Math.max(g * a, 0)),
});
