import { computeGradients } from '../../autodiff/index.js';
import { toNchw } from '../../layout.js';
import { Tensor } from '../../tensor.js';
import { registerMethod } from '../registry.js';
import type { ExplainOptions, Explanation, Method, Timings } from '../types.js';
import { targetRequest, type ResolvedTargets } from '../../targets/index.js';
import { LAYER_LAYOUT_OPTION, expandTargets, nchw, resolveCamTargets, spatialMean, weightedSum } from './base-cam.js';

/**
 * Captum LayerGradCam: Σ_c mean_hw(G_c)·A_c at the layer's resolution [N, 1, h, w] — no ReLU, no upsampling,
 * no normalization (the raw signed Grad-CAM map; `gradcam` is the post-processed one). With several layers the
 * first one is returned.
 */
export const layerGradcam: Method = registerMethod({
  info: {
    id: 'layer-gradcam',
    aliases: ['layergradcam'],
    title: 'LayerGradCam (Captum)',
    family: 'cam',
    summary: 'The signed Grad-CAM map at the layer’s own resolution, before any ReLU or resizing (Captum convention).',
    needsGradients: true,
    needsBaseline: false,
    needsLayer: true,
    output: 'map',
    signed: true,
    cost: '1 forward + backward to the layer',
    reference: 'Captum 0.8.0 LayerGradCam',
    options: [LAYER_LAYOUT_OPTION],
  },
  async explain(model, input, options) {
    const { map, targets, layer, timings } = await layerGradcamRun(model, input, options);
    const explanation: Explanation = { method: 'layer-gradcam', attribution: map, targets: targets.classes, extras: { layers: layer }, timings };
    return explanation;
  },
});

/** The targets, the first layer and its LayerGradCam map for a batch (LayerGradCam and Guided Grad-CAM start here). */
export async function layerGradcamRun(
  model: Parameters<Method['explain']>[0],
  input: Tensor,
  opts: ExplainOptions,
): Promise<{ batch: Tensor; layer: string; targets: ResolvedTargets; map: Tensor; timings: Timings }> {
  const timings: Timings = { compileMs: 0, runMs: 0 };
  model.checkInput(input);
  const { input: batch, spec } = expandTargets(input, opts.target);
  const [layer] = await model.resolveLayers(opts.layer, input);
  const targets = await resolveCamTargets(model, batch, spec, { timings });
  const map = await layerGradcamMap(model, batch, targets, layer!, timings, opts.layerLayout);
  return { batch, layer: layer!, targets, map, timings };
}

/** Σ_c mean_hw(dY/dA_c)·A_c as [N, 1, h, w]. */
export async function layerGradcamMap(
  model: Parameters<Method['explain']>[0],
  input: Tensor,
  targets: ResolvedTargets,
  layer: string,
  timings: Timings,
  layerLayout?: unknown,
): Promise<Tensor> {
  const r = await computeGradients(model, input, targets.seed, { wrt: [layer], fetch: [layer], ...targetRequest(targets) });
  timings.compileMs += r.compileMs;
  timings.runMs += r.runMs;
  const layout = await model.layerLayout(layer, input, layerLayout);
  const activations = toNchw(r.tensors[layer]!, layout);
  const [n, , h, w] = nchw(activations);
  return new Tensor(weightedSum(activations, spatialMean(toNchw(r.gradients[layer]!, layout))), [n, 1, h, w]);
}
