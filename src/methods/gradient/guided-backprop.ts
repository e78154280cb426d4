import { defineGradientMethod } from './define-gradient-method.js';

/** Captum GuidedBackprop: backward through every Relu passes relu(grad_out ⊙ [x > 0]); other ops keep their gradient. */
export const guidedBackprop = defineGradientMethod(
  {
    id: 'guided-backprop',
    aliases: ['guidedbackprop', 'guided-backpropagation'],
    title: 'Guided Backpropagation',
    summary: 'The gradient with only positive signals passed back through each ReLU: sharp maps of the input features that excite the class.',
    signed: true,
    reference: 'Captum 0.8.0 GuidedBackprop (hooks nn.ReLU = ONNX Relu only)',
    caveat: 'Guided Backprop fails the model-randomization sanity check (Adebayo et al. 2018): its maps look alike for trained and random weights, so they mostly show edges of the image.',
  },
  'guided',
  (g) => g,
);
