import { computeGradients } from '../../autodiff/index.js';
import { resizeMapNearest } from '../../image/preprocess.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { Method } from '../types.js';
import { targetRequest } from '../../targets/index.js';
import { LAYER_LAYOUT_OPTION, imageDims, nchw } from './base-cam.js';
import { layerGradcamRun } from './layer-gradcam.js';

/**
 * Captum GuidedGradCam: GuidedBackprop(x) ⊙ nearest-upsampled relu(LayerGradCam), broadcast over input channels.
 * GuidedBackprop = input gradient with ReLU backward replaced by relu(grad_out · [x > 0]) (autodiff 'guided').
 */
export const guidedGradcam: Method = registerMethod({
  info: {
    id: 'guided-gradcam',
    aliases: ['guidedgradcam'],
    title: 'Guided Grad-CAM (Captum)',
    family: 'cam',
    summary: 'Pixel-level detail of guided backpropagation, restricted to where Grad-CAM is positive.',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: true,
    output: 'input',
    signed: true,
    cost: '2 × (forward + backward): one to the layer, one guided to the input',
    reference: 'Captum 0.8.0 GuidedGradCam',
    caveat: "Guided Grad-CAM inherits Guided Backprop's insensitivity to the model's parameters.",
    options: [LAYER_LAYOUT_OPTION],
  },
  async explain(model, input, options) {
    const { batch, layer, targets, map: cam, timings } = await layerGradcamRun(model, input, options);
    const guided = await computeGradients(model, batch, targets.seed, { wrt: [model.inputName], fetch: [], ...targetRequest(targets), ruleSet: 'guided' });
    timings.compileMs += guided.compileMs;
    timings.runMs += guided.runMs;
    const gb = guided.gradients[model.inputName]!;
    const [n, c, H, W] = imageDims(batch);
    const [, , h, w] = nchw(cam);
    const out = new Float32Array(n * c * H * W);
    for (let i = 0; i < n; i++) {
      const map = cam.data.slice(i * h * w, (i + 1) * h * w).map((v) => Math.max(v, 0));
      const up = resizeMapNearest(map, w, h, W, H);
      for (let ch = 0; ch < c; ch++) {
        const off = (i * c + ch) * H * W;
        for (let p = 0; p < H * W; p++) out[off + p] = gb.data[off + p]! * up[p]!;
      }
    }
    return { method: 'guided-gradcam', attribution: new Tensor(out, [n, c, H, W]), targets: targets.classes, extras: { layers: layer, gradcam: cam }, timings };
  },
});
