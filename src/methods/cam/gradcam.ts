import { defineCam, requireGradients, spatialMean } from './base-cam.js';

/** Grad-CAM: w_c = mean_hw(dY/dA_c); map = Σ_c w_c A_c. */
export const gradcam = defineCam({
  id: 'gradcam',
  aliases: ['grad-cam'],
  title: 'Grad-CAM',
  summary: 'Channels of the target layer weighted by their average gradient: where the layer sees evidence for the class.',
  reference: 'pytorch-grad-cam 1.5.5 GradCAM',
  caveat: 'Grad-CAM shows where, at the resolution of the chosen layer, not why; maps for different classes can look alike (check class discrimination).',
  needsGradients: true,
  weights: (layer) => spatialMean(requireGradients(layer)),
});
