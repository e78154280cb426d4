import { Tensor } from '../../tensor.js';
import { BATCH_OPTION, defineGradientMethod } from './simple.js';

/** Captum InputXGradient: x ⊙ ∂score/∂x. */
export const inputXGradient = defineGradientMethod(
  {
    id: 'input-x-gradient',
    aliases: ['inputxgradient', 'gradient-x-input', 'ixg'],
    title: 'Input × Gradient',
    family: 'gradient',
    summary: 'Each input value times the gradient of the score w.r.t. it: a first-order estimate of its contribution relative to a zero input.',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: false,
    output: 'input',
    signed: true,
    cost: '1 forward + backward to the input',
    reference: 'Captum 0.8.0 InputXGradient',
    options: [BATCH_OPTION],
  },
  'gradient',
  (g, x) => new Tensor(Float32Array.from(g.data, (v, i) => v * x.data[i]!), g.dims),
);
