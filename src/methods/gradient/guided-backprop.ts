import { BATCH_OPTION, defineGradientMethod } from './define-gradient-method.js';

/** Captum GuidedBackprop: backward through every Relu passes relu(grad_out ⊙ [x > 0]); other ops keep their gradient. */
export const guidedBackprop = defineGradientMethod(
  {
    id: 'guided-backprop',
    aliases: ['guidedbackprop', 'guided-backpropagation'],
    title: 'Guided Backpropagation',
    family: 'gradient',
    summary: 'The gradient with only positive signals passed back through each ReLU: sharp maps of the input features that excite the class.',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: false,
    output: 'input',
    signed: true,
    cost: '1 forward + modified backward to the input',
    reference: 'Captum 0.8.0 GuidedBackprop (hooks nn.ReLU = ONNX Relu only)',
    options: [BATCH_OPTION],
  },
  'guided',
  (g) => g,
);
