import { defineCam, nchw, requireGradients } from './base-cam.js';

/** XGrad-CAM: w_c = Σ_hw G·A / (Σ_hw A_c + 1e-7). */
export const xgradcam = defineCam({
  id: 'xgradcam',
  aliases: ['xgrad-cam'],
  title: 'XGrad-CAM',
  summary: 'Grad-CAM with gradients weighted by the normalized activation (axiom-based weights).',
  cost: '1 forward + backward to the layer',
  reference: 'pytorch-grad-cam 1.5.5 XGradCAM',
  needsGradients: true,
  weights: (layer) => {
    const [n, c, h, w] = nchw(layer.activations);
    const a = layer.activations.data;
    const g = requireGradients(layer).data;
    const hw = h * w;
    const weights = new Float32Array(n * c);
    for (let k = 0; k < n * c; k++) {
      let sumA = 0;
      let sumGA = 0;
      for (let p = 0; p < hw; p++) {
        sumA += a[k * hw + p]!;
        sumGA += g[k * hw + p]! * a[k * hw + p]!;
      }
      weights[k] = sumGA / (sumA + 1e-7);
    }
    return weights;
  },
});
