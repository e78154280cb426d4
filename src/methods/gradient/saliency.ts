import { Tensor } from '../../tensor.js';
import { defineGradientMethod } from './define-gradient-method.js';

/** Captum Saliency: the gradient of the target score w.r.t. the input, absolute value by default. */
export const saliency = defineGradientMethod(
  {
    id: 'saliency',
    aliases: ['vanilla-gradient', 'gradient'],
    title: 'Saliency (gradient)',
    summary: 'How strongly the score reacts to a small change of each input value: |∂score/∂x| (or the signed gradient).',
    signed: false,
    reference: 'Captum 0.8.0 Saliency (abs=True and abs=False)',
    caveat: 'Plain gradients are noisy and saturate; they describe local sensitivity, not contribution.',
    options: [{ name: 'abs', type: 'boolean', default: true, description: 'absolute value of the gradient (Captum default); false keeps its sign' }],
  },
  'gradient',
  (g, _x, options) => {
    if (!options.abs) return g;
    const out = new Float32Array(g.size); // a plain loop: ~4× faster than g.data.map(Math.abs)
    const gd = g.data;
    for (let i = 0; i < out.length; i++) out[i] = Math.abs(gd[i]!);
    return new Tensor(out, g.dims);
  },
);
