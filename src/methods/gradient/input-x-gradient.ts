import { Tensor } from '../../tensor.js';
import { defineGradientMethod } from './define-gradient-method.js';

/** Captum InputXGradient: x ⊙ ∂score/∂x. */
export const inputXGradient = defineGradientMethod(
  {
    id: 'input-x-gradient',
    aliases: ['inputxgradient', 'gradient-x-input', 'ixg'],
    title: 'Input × Gradient',
    summary: 'Each input value times the gradient of the score w.r.t. it: a first-order estimate of its contribution relative to a zero input.',
    signed: true,
    reference: 'Captum 0.8.0 InputXGradient',
  },
  'gradient',
  (g, x) => {
    // a plain loop: Float32Array.from with a map function is ~30× slower on a 224×224 image (~100 ms under load)
    const [gd, xd] = [g.data, x.data];
    const out = new Float32Array(gd.length);
    for (let i = 0; i < out.length; i++) out[i] = gd[i]! * xd[i]!;
    return new Tensor(out, g.dims);
  },
);
