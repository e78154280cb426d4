import type { Explanation } from '../methods/types.js';
import type { Tensor } from '../tensor.js';
import { pearson } from '../metrics/stats.js';

/** One reference row of a conformance manifest (the schema of conformance/README.md). */
export interface ReferenceRow {
  model: string;
  input: string;
  input_file: string;
  target: number;
  library: string;
  method: string;
  variant?: string;
  output?: string;
  params?: Record<string, unknown> | null;
  target_layer_onnx?: string;
  file: string;
  shape?: number[];
  compare: { kind: string; metric?: string; tol: number | null };
  /** dtype the reference was computed in ('float64' for fashion_cnn, README "Precision"). */
  computed_in?: string;
  /** 'segmentation' (README "Semantic segmentation"): `target` is the category, `mask_file` the [H, W] mask. */
  target_kind?: string;
  mask_file?: string;
}

/** How to compute our side of a row: which method, with what options, and which tensor of the result to compare. */
export interface RowCall {
  /** Registered method id, or a built-in probe ('activation' / 'gradient' of the target layer, 'segmentation-mask'). */
  methodId: string;
  options: Record<string, unknown>;
  pick: (e: Explanation) => Tensor | undefined;
}

const attribution = (e: Explanation): Tensor => e.attribution;

/** First extra whose key is `key` or starts with `key` (per-layer extras may be suffixed with the layer name). */
function extra(key: string): (e: Explanation) => Tensor | undefined {
  return (e) => {
    const direct = e.extras[key];
    if (direct && typeof direct === 'object' && 'dims' in direct) return direct;
    for (const [k, v] of Object.entries(e.extras)) {
      if (k.startsWith(key) && v && typeof v === 'object' && 'dims' in v) return v;
    }
    return undefined;
  };
}

const CAM_IDS: Record<string, string> = {
  GradCAM: 'gradcam',
  HiResCAM: 'hirescam',
  GradCAMPlusPlus: 'gradcam++',
  XGradCAM: 'xgradcam',
  LayerCAM: 'layercam',
  EigenCAM: 'eigencam',
  ScoreCAM: 'scorecam',
  AblationCAM: 'ablationcam',
  FullGrad: 'fullgrad',
};

/** Map a reference row to the call that reproduces it; undefined when the row is of an unknown kind. */
export function callForRow(row: ReferenceRow): RowCall | undefined {
  const layer = row.target_layer_onnx;
  const p = row.params ?? {};
  if (row.library === 'numpy') {
    if (row.method === 'SegmentationMask') return { methodId: 'probe:segmentation-mask', options: {}, pick: attribution };
    return undefined;
  }
  if (row.library === 'torch') {
    if (row.method === 'TargetLayerActivation') return { methodId: 'probe:activation', options: { layer }, pick: attribution };
    if (row.method === 'TargetLayerGradient') return { methodId: 'probe:gradient', options: { layer }, pick: attribution };
    return undefined;
  }
  if (row.library === 'pytorch-grad-cam') {
    const id = CAM_IDS[row.method];
    if (!id) return undefined;
    const options: Record<string, unknown> = row.method === 'FullGrad' ? {} : { layer };
    switch (row.output) {
      case 'final': return { methodId: id, options, pick: attribution };
      case 'raw_cam_pre_relu':
      case 'raw_sum_before_final_minmax': return { methodId: id, options: { ...options, raw: true }, pick: extra('raw') };
      case 'channel_weights': return { methodId: id, options: { ...options, raw: true }, pick: extra('weights') };
      default: return undefined;
    }
  }
  if (row.library === 'captum') {
    switch (row.method) {
      case 'Saliency': return { methodId: 'saliency', options: { abs: row.variant === 'Saliency.abs' }, pick: attribution };
      case 'InputXGradient': return { methodId: 'input-x-gradient', options: {}, pick: attribution };
      case 'IntegratedGradients':
        return {
          methodId: 'integrated-gradients',
          options: { steps: p.n_steps ?? 50, method: String(p.method ?? 'gausslegendre'), baseline: 'zeros', internalBatchSize: p.n_steps ?? 50 },
          pick: attribution,
        };
      case 'GuidedBackprop': return { methodId: 'guided-backprop', options: {}, pick: attribution };
      case 'Deconvolution': return { methodId: 'deconvnet', options: {}, pick: attribution };
      case 'GuidedGradCam': return { methodId: 'guided-gradcam', options: { layer }, pick: attribution };
      case 'LayerGradCam': return { methodId: 'layer-gradcam', options: { layer }, pick: attribution };
      case 'DeepLift': return { methodId: 'deeplift', options: { baseline: 'zeros' }, pick: attribution };
      case 'LRP': return { methodId: 'lrp', options: { composite: 'captum-epsilon', epsilon: 1e-9 }, pick: attribution };
      case 'Occlusion': {
        const w = (p.sliding_window_shapes as number[] | undefined) ?? [1, 8, 8];
        const s = (p.strides as number[] | undefined) ?? [1, 4, 4];
        return { methodId: 'occlusion', options: { slidingWindowShapes: w, strides: s, baselines: p.baselines ?? 0 }, pick: attribution };
      }
      case 'NoiseTunnel_SmoothGrad':
        return { methodId: 'smoothgrad', options: { samples: p.nt_samples ?? 64, stdev: p.stdevs ?? 0.15, abs: p.abs === true, seed: p.seed ?? 0 }, pick: attribution };
      default: return undefined;
    }
  }
  return undefined;
}

export interface Comparison {
  metricName: string;
  value: number;
  tolerance: number;
  pass: boolean;
  detail?: string;
}

/** Compare our tensor with the reference by the row's compare rule (values compared in flat C order). */
export function compareWithReference(ours: Float32Array, ref: Float32Array, compare: ReferenceRow['compare']): Comparison {
  if (ours.length !== ref.length) {
    return { metricName: 'size', value: Number.NaN, tolerance: 0, pass: false, detail: `size ${ours.length} vs reference ${ref.length}` };
  }
  let refMax = 0;
  for (const v of ref) refMax = Math.max(refMax, Math.abs(v));
  const maxDiff = (sign: number): number => {
    let m = 0;
    for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ours[i]! - sign * ref[i]!));
    return m;
  };
  if (compare.kind === 'statistical') {
    // Two seeds of the reference agree at r ≥ 0.94; we ask r > 0.85 and a relative L2 below the README's bound.
    const r = pearson(ours, ref);
    let num = 0;
    let den = 0;
    for (let i = 0; i < ref.length; i++) {
      num += (ours[i]! - ref[i]!) ** 2;
      den += ref[i]! ** 2;
    }
    const relL2 = Math.sqrt(num / (den || 1));
    const absMap = ref.every((v) => v >= 0);
    const l2Tol = absMap ? 0.3 : 0.5;
    return { metricName: 'pearson r / rel L2', value: r, tolerance: 0.85, pass: r > 0.85 && relL2 < l2Tol, detail: `r=${r.toFixed(4)} relL2=${relL2.toFixed(4)} (need r>0.85, relL2<${l2Tol})` };
  }
  const tol = compare.tol ?? 1e-4;
  const relative = (compare.metric ?? '').includes('/ max|ref|') || compare.kind === 'exact_up_to_global_sign';
  const scale = relative ? refMax || 1 : 1;
  const value = compare.kind === 'exact_up_to_global_sign' ? Math.min(maxDiff(1), maxDiff(-1)) / scale : maxDiff(1) / scale;
  return { metricName: relative ? 'max|d|/max|ref|' : 'max|d|', value, tolerance: tol, pass: value < tol };
}
