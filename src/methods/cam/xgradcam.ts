import { defineCam } from './base-cam.js';

/** XGrad-CAM's denominator stabilizer (pytorch-grad-cam); the ONNX export's XGrad-CAM reads it too. */
export const XGRADCAM_EPS = 1e-7;

/** XGrad-CAM: w_c = Σ_hw G·A / (Σ_hw A_c + 1e-7). */
export const xgradcam = defineCam({
  id: 'xgradcam',
  aliases: ['xgrad-cam'],
  title: 'XGrad-CAM',
  summary: 'Grad-CAM with gradients weighted by the normalized activation (axiom-based weights).',
  reference: 'pytorch-grad-cam 1.5.5 XGradCAM',
  channelWeight: (a, g, o, hw, sumA) => {
    let sumGA = 0;
    for (let p = 0; p < hw; p++) sumGA += g[o + p]! * a[o + p]!;
    return sumGA / (sumA + XGRADCAM_EPS);
  },
});
