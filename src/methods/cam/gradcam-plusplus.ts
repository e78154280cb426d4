import { defineCam } from './base-cam.js';

/** Grad-CAM++'s α denominator stabilizer (pytorch-grad-cam); the ONNX export's Grad-CAM++ reads it too. */
export const GRADCAM_PLUSPLUS_EPS = 1e-6;

/**
 * Grad-CAM++: α = G² / (2G² + (Σ_hw A_c)·G³ + 1e-6), α = 0 where G = 0; w_c = Σ_hw max(G, 0)·α.
 */
export const gradcamPlusPlus = defineCam({
  id: 'gradcam++',
  aliases: ['gradcampp', 'gradcam-plusplus', 'grad-cam++'],
  title: 'Grad-CAM++',
  summary: 'Grad-CAM with per-position weights from higher-order gradient terms: better for several instances of a class.',
  reference: 'pytorch-grad-cam 1.5.5 GradCAMPlusPlus',
  channelWeight: (_a, g, o, hw, sumA) => {
    let wk = 0;
    for (let p = 0; p < hw; p++) {
      const gp = g[o + p]!;
      if (gp <= 0) continue; // α is 0 where G = 0, and max(G, 0) removes G < 0
      const g2 = gp * gp;
      wk += gp * (g2 / (2 * g2 + sumA * g2 * gp + GRADCAM_PLUSPLUS_EPS));
    }
    return wk;
  },
});
