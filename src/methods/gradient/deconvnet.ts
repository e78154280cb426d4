import { defineGradientMethod } from './define-gradient-method.js';

/** Captum Deconvolution (Zeiler & Fergus): backward through every Relu passes relu(grad_out), ignoring the forward mask. */
export const deconvnet = defineGradientMethod(
  {
    id: 'deconvnet',
    aliases: ['deconvolution', 'deconv'],
    title: 'DeconvNet',
    summary: 'Backpropagation where each ReLU passes only the positive part of the incoming signal, whatever its input was.',
    signed: true,
    reference: 'Captum 0.8.0 Deconvolution (hooks nn.ReLU = ONNX Relu only)',
    caveat: 'Deconvolution, like Guided Backprop, is largely independent of the upper layers (Adebayo et al. 2018).',
  },
  'deconvnet',
  (g) => g,
);
