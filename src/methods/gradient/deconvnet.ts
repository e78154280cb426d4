import { BATCH_OPTION, defineGradientMethod } from './define-gradient-method.js';

/** Captum Deconvolution (Zeiler & Fergus): backward through every Relu passes relu(grad_out), ignoring the forward mask. */
export const deconvnet = defineGradientMethod(
  {
    id: 'deconvnet',
    aliases: ['deconvolution', 'deconv'],
    title: 'DeconvNet',
    family: 'gradient',
    summary: 'Backpropagation where each ReLU passes only the positive part of the incoming signal, whatever its input was.',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: false,
    output: 'input',
    signed: true,
    cost: '1 forward + modified backward to the input',
    reference: 'Captum 0.8.0 Deconvolution (hooks nn.ReLU = ONNX Relu only)',
    options: [BATCH_OPTION],
  },
  'deconvnet',
  (g) => g,
);
