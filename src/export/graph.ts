import { buildBackwardGraph, GraphOps } from '../autodiff/index.js';
import { LumenError } from '../errors.js';
import type { LayerLayout } from '../layout.js';
import { getMethod } from '../methods/registry.js';
import type { LumenModel } from '../model.js';
import { create } from '@bufbuild/protobuf';
import { makeValueInfo, OnnxGraph, type Dim } from '../onnx/graph.js';
import { topologicalOrder } from '../onnx/subgraph.js';
import { StringStringEntryProtoSchema, TensorProto_DataType, type GraphProto } from '../onnx/proto.js';
import { CAM_EPS } from '../methods/cam/base-cam.js';
import { GRADCAM_PLUSPLUS_EPS } from '../methods/cam/gradcam-plusplus.js';
import { XGRADCAM_EPS } from '../methods/cam/xgradcam.js';
import { biasLayers } from '../methods/cam/fullgrad.js';
import { integrationPoints, type IntegrationMethod } from '../methods/gradient/quadrature.js';
import type { ExplainOptions } from '../methods/types.js';
import { occlusionGeometry, windowSpans } from '../methods/perturbation/occlusion.js';
import { RiseMasks, riseSettings, type RiseOptions } from '../methods/perturbation/rise.js';
import { checkOptionValues, parseOptionValues } from '../methods/validate.js';
import { Rng } from '../random.js';
import { channelNormalization } from '../image/preprocess.js';
import { NORMALIZATION_PRESETS } from '../metadata.js';
import { classCount } from '../targets/resolve.js';

/*
 * Explanations as standalone ONNX models: the model, its backward pass (the same builder `explain` uses) and the
 * post-processing `explain` applies in JS, written as ONNX nodes. One file serves every class: the class index per
 * image (its one-hot is the seed) or a weight vector per image is an input.
 */

/** How one exportable method turns the backward pass into its attribution. */
type ExportKind =
  | { family: 'gradient'; ruleSet: string; map: 'abs' | 'identity' | 'times-input' | 'integrated' | 'smoothgrad' }
  | { family: 'cam'; cam: CamWeighting }
  | { family: 'fullgrad' }
  | { family: 'occlusion' }
  | { family: 'rise' };

type CamWeighting = 'gradcam' | 'hirescam' | 'xgradcam' | 'gradcam++' | 'layercam';

const EXPORTABLE: Readonly<Record<string, ExportKind>> = {
  gradcam: { family: 'cam', cam: 'gradcam' },
  hirescam: { family: 'cam', cam: 'hirescam' },
  xgradcam: { family: 'cam', cam: 'xgradcam' },
  'gradcam++': { family: 'cam', cam: 'gradcam++' },
  layercam: { family: 'cam', cam: 'layercam' },
  fullgrad: { family: 'fullgrad' },
  saliency: { family: 'gradient', ruleSet: 'gradient', map: 'abs' },
  'input-x-gradient': { family: 'gradient', ruleSet: 'gradient', map: 'times-input' },
  'guided-backprop': { family: 'gradient', ruleSet: 'guided', map: 'identity' },
  deconvnet: { family: 'gradient', ruleSet: 'deconvnet', map: 'identity' },
  'integrated-gradients': { family: 'gradient', ruleSet: 'gradient', map: 'integrated' },
  smoothgrad: { family: 'gradient', ruleSet: 'gradient', map: 'smoothgrad' },
  occlusion: { family: 'occlusion' },
  rise: { family: 'rise' },
};

/** Method ids `exportExplanation` accepts (aliases resolve to these). */
export const EXPORTABLE_METHODS: readonly string[] = Object.keys(EXPORTABLE);

export interface ExportOptions {
  /** Method ids or aliases (see EXPORTABLE_METHODS). */
  methods: readonly string[];
  /** CAM target layer(s); default: the model's default layer. */
  layer?: string | readonly string[];
  /**
   * The graph takes raw pixels: uint8 [batch, height, width, C] (any size), resized to the model's size (bilinear, no
   * antialiasing) and normalized with the model's mean/std in the graph.
   */
  withPreprocessing?: boolean;
  /** Options by method id, as `explain` takes them (Integrated Gradients: steps, method; other methods: defaults). */
  methodOptions?: Readonly<Record<string, ExplainOptions>>;
  /**
   * How the target enters the graph: 'index' (default) an int64 class index per image (`target_class [batch]`);
   * 'weights' a float32 weight vector per image (`target_weights [batch, classes]`) seeding the backward pass, as
   * `explain` with `target: { weights }` does (a one-hot vector is the class index).
   */
  targetInput?: 'index' | 'weights';
}

/** A graph input or output of the exported model, as a serving system declares it. */
export interface ExportedTensor {
  name: string;
  type: 'float32' | 'int64' | 'uint8';
  /** Dims with the batch first; strings are symbolic (the batch is always 'batch'). */
  dims: Dim[];
}

export interface ExportedExplanation {
  /** The serialized ONNX model. */
  bytes: Uint8Array;
  opset: number;
  inputs: ExportedTensor[];
  outputs: ExportedTensor[];
  /** Canonical method id → the output holding its attribution. */
  attributions: Record<string, string>;
  /** CAM target layers used (empty when no CAM method is exported). */
  layers: string[];
}

/** The graph input with the class index per image. */
export const TARGET_INPUT = 'target_class';

/** The graph input with the weight vector per image (targetInput 'weights'). */
export const TARGET_WEIGHTS_INPUT = 'target_weights';

/** Options the export reads per method; any other option set to a non-default value is refused, not ignored. */
const READ_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  saliency: ['abs'],
  'integrated-gradients': ['steps', 'method', 'baseline'],
  smoothgrad: ['samples', 'abs'],
  occlusion: ['slidingWindowShapes', 'strides', 'baselines'],
  rise: ['numMasks', 'gridSize', 'keepProbability', 'baselines', 'seed'],
};
/** Options that change how `explain` runs, not what it returns (precision is checked on its own). */
const NO_EFFECT_OPTIONS = new Set(['batchSize', 'internalBatchSize', 'signal', 'onProgress', 'precision']);

/** A clear error for an option the exported graph would ignore (CAM augSmooth/eigenSmooth, SmoothGrad stdev, …). */
function refuseIgnoredOptions(id: string, options: ExplainOptions): void {
  const specs = getMethod(id).info.options;
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || NO_EFFECT_OPTIONS.has(name) || READ_OPTIONS[id]?.includes(name)) continue;
    const spec = specs.find((o) => o.name === name);
    if (spec && spec.default !== undefined && value === spec.default) continue;
    const why = name === 'target' ? ' (the target is a graph input)' : name === 'layer' ? ' (give the CAM layer as the export layer option)' : name === 'stdev' || name === 'seed' ? ` (the noise is the graph input '${NOISE_INPUT}': scale it yourself)` : '';
    throw new LumenError('BAD_OPTION', `export: option '${name}' of ${id} is not exportable${why}; the exported graph would ignore it`, 2);
  }
}

/** SmoothGrad's noise, [batch, samples, C, H, W]: what is added to each copy of each image (Captum: stdev · N(0, 1)). */
export const NOISE_INPUT = 'smoothgrad_noise';

/** Output name of a method's attribution: an identifier every serving system accepts ('gradcam++' → 'gradcampp'). */
export function attributionOutput(methodId: string): string {
  return methodId.replace(/\+/g, 'p').replace(/[^A-Za-z0-9_]/g, '_');
}

/** Canonical ids of the requested methods; a clear error for one that cannot be exported. */
export function exportableMethods(requested: readonly string[]): string[] {
  if (requested.length === 0) throw new LumenError('BAD_OPTION', `export: no method given. Exportable: ${EXPORTABLE_METHODS.join(', ')}`, 2);
  const ids = requested.map((m) => getMethod(m).info.id);
  for (const id of ids) {
    if (!EXPORTABLE[id]) throw new LumenError('BAD_OPTION', `method '${id}' cannot be exported as an ONNX model. Exportable: ${EXPORTABLE_METHODS.join(', ')}`, 2);
  }
  return [...new Set(ids)];
}

/**
 * A standalone ONNX model computing logits, probabilities and each method's attribution for an image batch and a
 * class index per image, post-processed as `explain` returns it (default method options).
 */
export async function exportExplanation(model: LumenModel, options: ExportOptions): Promise<ExportedExplanation> {
  const ids = exportableMethods(options.methods);
  // the class count, as the targets module reads a classifier's output; any other output is refused here
  const classes = await classCount(model, model.zeroInput(), undefined, 'class').catch((e: unknown) => {
    if (!(e instanceof LumenError && e.code === 'UNSUPPORTED_MODEL')) throw e;
    throw new LumenError('UNSUPPORTED_MODEL', `export: explains classifiers whose output is [batch, classes]; ${e.message} (segmentation, detection and other targets are not exportable yet)`);
  });
  const kinds = ids.map((id) => [id, EXPORTABLE[id]!] as const);
  const needsCam = kinds.some(([, k]) => k.family === 'cam');
  const layers = needsCam ? await model.resolveLayers(options.layer) : [];
  const layouts = await Promise.all(layers.map((l) => model.layerLayout(l)));
  const bias = ids.includes('fullgrad') ? await fullgradLayers(model) : undefined;
  // One backward pass per rule set, each appended to the graph built so far (CAM and FullGrad layers ride on the plain
  // gradient's).
  const ruleSets = [...new Set(kinds.flatMap(([, k]) => (k.family === 'gradient' ? [k.ruleSet] : [])))];
  if ((needsCam || bias) && !ruleSets.includes('gradient')) ruleSets.push('gradient');
  const batch: Dim = 'batch';
  const inputDims: Dim[] = [batch, ...model.inputDims.slice(1)];
  let current = model.proto;
  const seeds: string[] = [];
  const inputGradients = new Map<string, string>();
  const layerGradients: Record<string, string> = {};
  let graph: OnnxGraph | undefined;
  for (const ruleSet of ruleSets) {
    const camHere = ruleSet === 'gradient' && needsCam;
    const fullgradHere = ruleSet === 'gradient' && bias !== undefined;
    const biasHere = fullgradHere ? bias.map((b) => b.output) : [];
    const wantsInput = kinds.some(([, k]) => k.family === 'gradient' && k.ruleSet === ruleSet) || fullgradHere;
    const built = buildBackwardGraph(current, {
      target: model.logitsName,
      wrt: [...new Set([...(wantsInput ? [model.inputName] : []), ...(camHere ? layers : []), ...biasHere])],
      ...(camHere ? { fetch: layers } : {}),
      seed: { kind: 'input' },
      output: 'logit',
      ruleSet,
      feedDims: { [model.inputName]: inputDims },
    });
    if (!built.seedInput) throw new Error('internal: the backward graph has no seed input');
    seeds.push(built.seedInput);
    if (wantsInput) inputGradients.set(ruleSet, built.gradients[model.inputName]!);
    if (camHere) for (const l of layers) layerGradients[l] = built.gradients[l]!;
    for (const l of biasHere) layerGradients[l] = built.gradients[l]!;
    graph = built.graph;
    current = graph.model;
  }
  // perturbation methods alone need no backward pass
  graph ??= OnnxGraph.copyOf(model.proto);
  const ops = new GraphOps(graph, graph.opset);
  const proto = graph.graph;
  const x = model.inputName;
  // each method's options checked against its declared list in explain's words and parsed as explain would get them
  // (flag text converted, declared defaults applied), so the graph uses the same defaults as `explain`; once per method
  const parsedOptions = new Map<string, ExplainOptions>();
  const optionsOf = (id: string): ExplainOptions => {
    let parsed = parsedOptions.get(id);
    if (parsed === undefined) {
      const entry = Object.entries(options.methodOptions ?? {}).find(([k]) => getMethod(k).info.id === id);
      const specs = getMethod(id).info.options;
      const given = entry?.[1] ?? {};
      checkOptionValues(specs, given, `export ${id}`);
      parsed = parseOptionValues(specs, given);
      parsedOptions.set(id, parsed);
    }
    return parsed;
  };

  for (const id of ids) {
    refuseIgnoredOptions(id, optionsOf(id));
    if (optionsOf(id).precision === 'float64') throw new LumenError('BAD_OPTION', `export: ${id} is exported in float32 only (precision=float64 is not exportable)`, 2);
  }
  // Methods that run the model on more images than the batch (Integrated Gradients' path points) append them to it:
  // the model sees [x; extra rows], step-major (row s·N + i is image i), and every output reads its own rows.
  // step-major (row s·N + i) or item-major (row i·k + s) rows
  const segments: { id: string; k: number; rows: string; itemMajor: boolean }[] = [];
  let integration: { alphas: number[]; weights: number[] } | undefined;
  if (ids.includes('integrated-gradients')) {
    const o = optionsOf('integrated-gradients');
    const baseline = o.baseline;
    if (baseline !== undefined && baseline !== 'zeros' && baseline !== 0) throw new LumenError('BAD_OPTION', `export: Integrated Gradients is exported with the zeros baseline only, got baseline=${String(baseline)}`, 2);
    // declared enum and integer with defaults, parsed by optionsOf
    integration = integrationPoints(o.method as IntegrationMethod, o.steps as number);
  }
  // the model's nodes read the extended batch; nodes added from here on read the images themselves
  const smoothSamples = ids.includes('smoothgrad') ? (optionsOf('smoothgrad').samples as number) : undefined;
  const windows = ids.includes('occlusion') ? occlusionWindows(optionsOf('occlusion'), inputDims) : undefined;
  const rise = ids.includes('rise') ? riseMasks(graph, optionsOf('rise') as RiseOptions, inputDims) : undefined;
  const modelBatch = integration || smoothSamples || windows || rise ? graph.uniqueName('lumen_model_batch') : x;
  if (modelBatch !== x) for (const node of proto.node) node.input.forEach((name, k) => name === x && (node.input[k] = modelBatch));
  const imageShape = ops.op('Slice', [ops.shapeOf(x), ops.int64s([1]), ops.int64s([2 ** 31 - 1])]);
  const itemsOf = (count: number): string => ops.op('Concat', [ops.int64s([count, -1]), imageShape], { axis: { i: 0 } });
  if (integration) {
    const steps = integration.alphas.length;
    // b + α(x − b) with b = 0, in float32 as Captum's tensors
    const alphas = ops.constant(Float32Array.from(integration.alphas, Math.fround), [steps, 1, 1, 1, 1]);
    const points = ops.op('Reshape', [ops.mul(ops.unsqueeze(x, [0]), alphas), ops.op('Concat', [ops.int64s([-1]), imageShape], { axis: { i: 0 } })]);
    segments.push({ id: 'integrated-gradients', k: steps, rows: points, itemMajor: false });
  }
  if (smoothSamples) {
    graph.addInput(NOISE_INPUT, [batch, smoothSamples, ...inputDims.slice(1)]);
    const noisy = ops.op('Reshape', [ops.add(ops.unsqueeze(x, [1]), NOISE_INPUT), ops.op('Concat', [ops.int64s([-1]), imageShape], { axis: { i: 0 } })]);
    segments.push({ id: 'smoothgrad', k: smoothSamples, rows: noisy, itemMajor: true });
  }
  let occluded: string | undefined;
  if (windows) {
    // masks built in the graph from the window bounds (a few numbers instead of J full-size masks)
    const [, , H, W] = inputDims as number[];
    const J = windows.y0.length;
    const col = (v: number[], shape: number[]): string => ops.constant(Float32Array.from(v), shape);
    const inside = (idx: string, lo: number[], hi: number[], shape: number[]): string => ops.and(ops.op('Not', [ops.less(idx, col(lo, shape))]), ops.less(idx, col(hi, shape)));
    const ys = col(Array.from({ length: H! }, (_, i) => i), [1, 1, H!, 1]);
    const xs = col(Array.from({ length: W! }, (_, i) => i), [1, 1, 1, W!]);
    occluded = ops.and(inside(ys, windows.y0, windows.y1, [J, 1, 1, 1]), inside(xs, windows.x0, windows.x1, [J, 1, 1, 1]));
    const rows = ops.where(ops.unsqueeze(occluded, [0]), ops.scalar(windows.baseline), ops.unsqueeze(x, [1]));
    segments.push({ id: 'occlusion', k: J, rows: ops.op('Reshape', [rows, ops.op('Concat', [ops.int64s([-1]), imageShape], { axis: { i: 0 } })]), itemMajor: true });
  }
  if (rise) {
    // baseline + mask ⊙ (x − baseline), or mask ⊙ x for baseline 0, as LumenModel.forwardMasked composites them
    const xs = ops.unsqueeze(x, [1]);
    const m = ops.unsqueeze(rise.masks, [0]);
    const rows = rise.baseline === 0 ? ops.mul(m, xs) : ops.add(ops.scalar(rise.baseline), ops.mul(m, ops.sub(xs, ops.scalar(rise.baseline))));
    segments.push({ id: 'rise', k: rise.count, rows: ops.op('Reshape', [rows, ops.op('Concat', [ops.int64s([-1]), imageShape], { axis: { i: 0 } })]), itemMajor: true });
  }
  if (modelBatch !== x) graph.addNode('Concat', [x, ...segments.map((sg) => sg.rows)], [modelBatch], { axis: { i: 0 } });
  const n = ops.op('Slice', [ops.shapeOf(x), ops.int64s([0]), ops.int64s([1])]);
  const rowsOf = (t: string, start: number, count: number): string => ops.op('Slice', [t, ops.mul(n, ops.int64s([start])), ops.mul(n, ops.int64s([start + count])), ops.int64s([0])]);
  const own = (t: string): string => (segments.length > 0 ? rowsOf(t, 0, 1) : t);
  const segmentStart = (id: string): number => 1 + segments.slice(0, segments.findIndex((sg) => sg.id === id)).reduce((a, sg) => a + sg.k, 0);
  const taken = (name: string): boolean => proto.node.some((nd) => nd.output.includes(name)) || proto.input.some((i) => i.name === name) || graph.initializer(name) !== undefined;

  // Each seed is the one-hot of an int64 class index per image, or a float32 weight vector per image.
  const byWeights = options.targetInput === 'weights';
  if (options.targetInput !== undefined && options.targetInput !== 'index' && !byWeights) throw new LumenError('BAD_OPTION', `export: the target input is 'index' or 'weights', got '${String(options.targetInput)}'`, 2);
  const targetName = byWeights ? TARGET_WEIGHTS_INPUT : TARGET_INPUT;
  if (taken(targetName)) throw new LumenError('UNSUPPORTED_MODEL', `export: the model already has a tensor named '${targetName}'`);
  proto.input = proto.input.filter((i) => !seeds.includes(i.name));
  if (byWeights) graph.addInput(TARGET_WEIGHTS_INPUT, [batch, classes], TensorProto_DataType.FLOAT);
  else graph.addInput(TARGET_INPUT, [batch], TensorProto_DataType.INT64);
  // an alias: `expose` may rename the model's own tensor when its name is taken by an output ('logits')
  const allLogits = ops.op('Identity', [model.logitsName]);
  const depth = ops.op('Slice', [ops.shapeOf(allLogits), ops.int64s([-1]), ops.int64s([2 ** 31 - 1])]);
  // per-image seed rows [batch, classes]; each extra segment repeats them in its own row order
  const hotRows = byWeights ? TARGET_WEIGHTS_INPUT : ops.op('OneHot', [TARGET_INPUT, depth, ops.constant([0, 1], [2])], { axis: { i: -1 } });
  const repeated = (sg: (typeof segments)[number]): string =>
    sg.itemMajor ? ops.op('Reshape', [ops.op('Tile', [ops.unsqueeze(hotRows, [1]), ops.int64s([1, sg.k, 1])]), ops.op('Concat', [ops.int64s([-1]), depth], { axis: { i: 0 } })]) : ops.op('Tile', [hotRows, ops.int64s([sg.k, 1])]);
  const seedRows = segments.length === 0 ? hotRows : ops.op('Concat', [hotRows, ...segments.map(repeated)], { axis: { i: 0 } });
  const logits = own(allLogits);
  for (const seed of seeds) graph.addNode('Identity', [seedRows], [seed]);

  const outputs: [string, string][] = [];
  const expose = (desired: string, tensor: string): void => {
    if (tensor !== desired) {
      // an inner tensor of that name (the model's own 'logits' when the batch is extended) steps aside
      if (proto.input.some((i) => i.name === desired) || graph.initializer(desired)) throw new LumenError('UNSUPPORTED_MODEL', `export: the model already has an input named '${desired}'`);
      if (taken(desired)) {
        const renamed = graph.uniqueName(`${desired}_inner`);
        for (const nd of proto.node) for (const list of [nd.input, nd.output]) list.forEach((name, k) => name === desired && (list[k] = renamed));
      }
      graph.addNode('Identity', [tensor], [desired]);
    }
    outputs.push([desired, tensor]);
  };
  expose('logits', logits);
  expose('probabilities', ops.op('Softmax', [logits], { axis: { i: -1 } }));
  const attributions: Record<string, string> = {};
  for (const [id, kind] of kinds) {
    let tensor: string;
    if (kind.family === 'gradient') {
      const all = inputGradients.get(kind.ruleSet)!;
      const g = own(all);
      if (kind.map === 'integrated') {
        // (x − b) ⊙ Σ_s w_s ∇f(b + α_s(x − b)), summed in double with float32 weights as the JS does
        const { weights } = integration!;
        const steps = weights.length;
        const grads = ops.cast(ops.op('Reshape', [rowsOf(all, segmentStart(id), steps), itemsOf(steps)]), TensorProto_DataType.DOUBLE);
        const w = graph.addInitializer(Float64Array.from(weights, Math.fround), [steps, 1, 1, 1, 1], 'lumen_ig_weights');
        const total = ops.reduce('ReduceSum', ops.mul(grads, w), [0], false);
        tensor = ops.toFloat(ops.mul(total, ops.cast(x, TensorProto_DataType.DOUBLE)));
      } else if (kind.map === 'smoothgrad') {
        // mean over the noisy copies of |∇f| (or ∇f with abs=false), summed in double as the JS does
        const samples = smoothSamples!;
        const rows = ops.op('Reshape', [rowsOf(all, segmentStart(id), samples), ops.op('Concat', [ops.int64s([-1, samples]), imageShape], { axis: { i: 0 } })]);
        const grads = ops.cast((optionsOf('smoothgrad').abs as boolean) ? ops.op('Abs', [rows]) : rows, TensorProto_DataType.DOUBLE);
        tensor = ops.toFloat(ops.div(ops.reduce('ReduceSum', grads, [1], false), graph.addInitializer(Float64Array.of(samples), [], 'lumen_samples')));
      } else {
        tensor = kind.map === 'abs' && (optionsOf(id).abs as boolean) ? ops.op('Abs', [g]) : kind.map === 'times-input' ? ops.mul(g, x) : g;
      }
    } else if (kind.family === 'fullgrad') {
      const terms = bias!.map((b) => ({ gradient: own(layerGradients[b.output]!), bias: b.bias }));
      tensor = minMaxNodes(ops, fullgradSumNodes(ops, x, own(inputGradients.get('gradient')!), terms));
    } else if (kind.family === 'occlusion') {
      // d_j = f(x) − f(x with window j at the baseline), averaged over the windows covering each pixel (in double)
      const J = windows!.y0.length;
      const double = (t: string): string => ops.cast(t, TensorProto_DataType.DOUBLE);
      const hot = double(hotRows);
      const rowLogits = double(ops.op('Reshape', [rowsOf(allLogits, segmentStart(id), J), ops.op('Concat', [ops.int64s([-1, J]), depth], { axis: { i: 0 } })]));
      const scores = ops.reduceSum(ops.mul(rowLogits, ops.unsqueeze(hot, [1])), [2], false);
      const d = ops.sub(ops.reduceSum(ops.mul(double(logits), hot), [1], true), scores);
      const masks = double(ops.op('Reshape', [occluded!, ops.int64s([J, -1])]));
      const mean = ops.div(ops.op('MatMul', [d, masks]), ops.reduceSum(masks, [0], false));
      const [, , H, W] = inputDims as number[];
      tensor = ops.toFloat(ops.op('Expand', [ops.op('Reshape', [mean, ops.int64s([-1, 1, H!, W!])]), ops.shapeOf(x)]));
    } else if (kind.family === 'rise') {
      // Σ_j score_j · mask_j / (J · p), scores Σ seed ⊙ logits, all in double as the JS does
      const { count: J, masks, keepProbability } = rise!;
      const double = (t: string): string => ops.cast(t, TensorProto_DataType.DOUBLE);
      const rowLogits = double(ops.op('Reshape', [rowsOf(allLogits, segmentStart(id), J), ops.op('Concat', [ops.int64s([-1, J]), depth], { axis: { i: 0 } })]));
      const scores = ops.reduceSum(ops.mul(rowLogits, ops.unsqueeze(double(hotRows), [1])), [2], false);
      const sal = ops.op('MatMul', [scores, double(ops.op('Reshape', [masks, ops.int64s([J, -1])]))]);
      const [, , H, W] = inputDims as number[];
      const norm = graph.addInitializer(Float64Array.of(1 / (J * keepProbability)), [], 'lumen_rise_norm');
      tensor = ops.toFloat(ops.op('Reshape', [ops.mul(sal, norm), ops.int64s([-1, 1, H!, W!])]));
    } else {
      const maps = layers.map((l, i) => camRawMap(ops, kind.cam, toNchwNodes(ops, own(l), layouts[i]!), toNchwNodes(ops, own(layerGradients[l]!), layouts[i]!)));
      tensor = camPostprocess(ops, maps, model.inputName);
    }
    attributions[id] = attributionOutput(id);
    expose(attributions[id], tensor);
  }
  graph.setOutputs(outputs.map(([name]) => name));
  const pixels = options.withPreprocessing ? addPreprocessing(ops, model, x) : undefined;
  sortNodes(proto);
  const [, c, h, w] = inputDims;
  const mapDims: Dim[] = [batch, 1, h ?? 'height', w ?? 'width'];
  const declared: ExportedTensor[] = [
    { name: 'logits', type: 'float32', dims: [batch, classes] },
    { name: 'probabilities', type: 'float32', dims: [batch, classes] },
    ...ids.map((id): ExportedTensor => ({ name: attributions[id]!, type: 'float32', dims: ['cam', 'fullgrad', 'rise'].includes(EXPORTABLE[id]!.family) ? mapDims : [...inputDims] })),
  ];
  // declared output shapes (a symbolic batch), so serving systems can read them from the file
  proto.output.splice(0, proto.output.length);
  for (const o of declared) graph.addOutput(o.name, o.dims, TensorProto_DataType.FLOAT);
  // the image input's batch becomes symbolic (fixed-batch files were opened on load)
  const imageAt = proto.input.findIndex((i) => i.name === model.inputName);
  if (imageAt >= 0 && !pixels) proto.input[imageAt] = makeValueInfo(model.inputName, [batch, c ?? 'channels', h ?? 'height', w ?? 'width'], TensorProto_DataType.FLOAT);
  const metadata: [string, string][] = [
    ['lumen.export.methods', ids.join(',')],
    ['lumen.export.layers', layers.join(',')],
    ['lumen.export.target', byWeights ? `${TARGET_WEIGHTS_INPUT}: weight vector per image (explains the weighted sum of the raw logits)` : `${TARGET_INPUT}: class index per image (explains the raw logit)`],
  ];
  for (const [key, value] of metadata) graph.model.metadataProps.push(create(StringStringEntryProtoSchema, { key, value }));
  return {
    bytes: graph.toBytes(),
    opset: graph.opset,
    inputs: [
      pixels ?? { name: model.inputName, type: 'float32', dims: [...inputDims] },
      byWeights ? { name: TARGET_WEIGHTS_INPUT, type: 'float32', dims: [batch, classes] } : { name: TARGET_INPUT, type: 'int64', dims: [batch] },
      ...(smoothSamples ? [{ name: NOISE_INPUT, type: 'float32' as const, dims: [batch, smoothSamples, ...inputDims.slice(1)] }] : []),
    ],
    outputs: declared,
    attributions,
    layers,
  };
}

/** A layer tensor as [N, C, h, w] in the graph: the ONNX-node form of `toNchw` in src/layout.ts. */
export function toNchwNodes(ops: GraphOps, tensor: string, layout: LayerLayout): string {
  if (layout.kind === 'NCHW') return tensor;
  if (layout.kind === 'NHWC') return ops.transpose(tensor, [0, 3, 1, 2]);
  const btc = layout.sequenceFirst ? ops.transpose(tensor, [1, 0, 2]) : tensor;
  const patches = ops.op('Slice', [btc, ops.int64s([layout.prefix]), ops.int64s([2 ** 31 - 1]), ops.int64s([1])]);
  return ops.op('Reshape', [ops.transpose(patches, [0, 2, 1]), ops.int64s([0, -1, layout.height, layout.width])]);
}

/**
 * [N, 1, h, w] pre-ReLU map of one layer: the ONNX-node form of each method's weighting (src/methods/cam/*.ts). Sums
 * run in double and the weights / contributions are rounded to float32 where the JS stores them in a Float32Array,
 * so the exported map follows `explain` to float32 rounding (divisions such as XGrad-CAM's amplify any other order).
 */
export function camRawMap(ops: GraphOps, cam: CamWeighting, a32: string, g32: string): string {
  const double = (x: string): string => ops.cast(x, TensorProto_DataType.DOUBLE);
  const f32 = (x: string): string => double(ops.toFloat(x));
  const k = (v: number): string => ops.graph.addInitializer(Float64Array.of(v), [], 'lumen_f64');
  const a = double(a32);
  const g = double(g32);
  const weighted = (w: string): string => ops.toFloat(ops.reduceSum(ops.mul(f32(w), a), [1], true));
  const summed = (contributions: string): string => ops.toFloat(ops.reduceSum(f32(contributions), [1], true));
  switch (cam) {
    case 'gradcam':
      return weighted(ops.reduce('ReduceMean', g, [2, 3], true));
    case 'hirescam':
      return summed(ops.mul(g, a));
    case 'layercam':
      return summed(ops.mul(ops.op('Relu', [g]), a));
    case 'xgradcam':
      return weighted(ops.div(ops.reduceSum(ops.mul(g, a), [2, 3]), ops.add(ops.reduceSum(a, [2, 3]), k(XGRADCAM_EPS))));
    case 'gradcam++': {
      const g2 = ops.mul(g, g);
      const g3 = ops.mul(g2, g);
      const sumA = ops.reduceSum(a, [2, 3]);
      const alpha = ops.div(g2, ops.add(ops.add(ops.mul(k(2), g2), ops.mul(sumA, g3)), k(GRADCAM_PLUSPLUS_EPS)));
      // α = 0 where G ≤ 0 (max(G, 0) removes those positions)
      const positive = ops.where(ops.greater(g, k(0)), ops.mul(g, alpha), ops.mul(g, k(0)));
      return weighted(ops.reduceSum(positive, [2, 3]));
    }
  }
}

/** pytorch-grad-cam's scale_cam_image per image: (x − min) / (max − min + 1e-7) over [1, 2, 3]. */
export function minMaxNodes(ops: GraphOps, x: string): string {
  const min = reduceMin(ops, x);
  const max = ops.reduce('ReduceMax', x, [1, 2, 3], true);
  return ops.div(ops.sub(x, min), ops.add(ops.scalar(CAM_EPS), ops.sub(max, min)));
}

function reduceMin(ops: GraphOps, x: string): string {
  if (ops.opset >= 18) return ops.op('ReduceMin', [x, ops.int64s([1, 2, 3])], { keepdims: { i: 1 } });
  return ops.op('ReduceMin', [x], { axes: { ints: [1, 2, 3] }, keepdims: { i: 1 } });
}

/**
 * `aggregateLayers` (src/methods/cam/base-cam.ts) as nodes: per layer ReLU → min-max → bilinear resize to the image
 * size (half-pixel centres, clamped at the border: cv2 INTER_LINEAR); over layers ReLU → mean; then min-max.
 */
export function camPostprocess(ops: GraphOps, maps: readonly string[], image: string): string {
  const resized = maps.map((raw) => resizeToImage(ops, minMaxNodes(ops, ops.op('Relu', [raw])), image));
  let mean = resized[0]!;
  if (resized.length > 1) {
    mean = resized.map((r) => ops.op('Relu', [r])).reduce((s, r) => ops.add(s, r));
    mean = ops.div(mean, ops.scalar(resized.length));
  }
  return minMaxNodes(ops, mean);
}

/** [N, C, h, w] → [N, C, H, W] of the image: bilinear, half-pixel centres, clamped at the border (cv2 INTER_LINEAR). */
function resizeToImage(ops: GraphOps, map: string, image: string): string {
  const sizes = ops.op('Concat', [ops.op('Slice', [ops.shapeOf(map), ops.int64s([0]), ops.int64s([2])]), ops.op('Slice', [ops.shapeOf(image), ops.int64s([2]), ops.int64s([4])])], { axis: { i: 0 } });
  const empty = ops.constant([], [0]);
  return ops.op('Resize', [map, empty, empty, sizes], { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } });
}

/** FullGrad's bias layers whose output is [N, C, h, w] (`explain('fullgrad')` skips the others). */
async function fullgradLayers(model: LumenModel): Promise<{ output: string; bias: Float32Array }[]> {
  const shapes = await model.tensorShapes();
  return biasLayers(model).filter((b) => {
    const shape = shapes.get(b.output);
    if (!shape) throw new Error(`internal: no shape for FullGrad bias layer '${b.output}'`);
    return shape.length === 4;
  });
}

/**
 * `fullgradSums` (src/methods/cam/fullgrad.ts) as nodes, [N, 1, H, W] before the final min-max: per input channel
 * minmax(|x ⊙ ∂y/∂x|), per bias layer and channel resize(minmax(|b_c ⊙ ∂y/∂out_c|)), all summed in double.
 */
function fullgradSumNodes(ops: GraphOps, image: string, inputGradient: string, terms: readonly { gradient: string; bias: Float32Array }[]): string {
  // each (image, channel) plane of [N, C, h, w] min-maxed on its own, as a batch of [N·C, 1, h, w] maps
  const channelMaps = (t: string): string => minMaxNodes(ops, ops.op('Reshape', [t, ops.int64s([-1, 1, 0, 0])]));
  const imageShape = ops.shapeOf(image);
  const channelSum = (planes: string, channels: string): string => {
    const shape = ops.op('Concat', [ops.op('Slice', [imageShape, ops.int64s([0]), ops.int64s([1])]), channels, ops.op('Slice', [imageShape, ops.int64s([2]), ops.int64s([4])])], { axis: { i: 0 } });
    return ops.reduceSum(ops.cast(ops.op('Reshape', [planes, shape]), TensorProto_DataType.DOUBLE), [1], true);
  };
  const channelsOf = (t: string): string => ops.op('Slice', [ops.shapeOf(t), ops.int64s([1]), ops.int64s([2])]);
  let sum = channelSum(channelMaps(ops.op('Abs', [ops.mul(image, inputGradient)])), channelsOf(image));
  for (const { gradient, bias } of terms) {
    const b = ops.constant(bias, [1, bias.length, 1, 1]);
    sum = ops.add(sum, channelSum(resizeToImage(ops, channelMaps(ops.op('Abs', [ops.mul(gradient, b)])), image), channelsOf(gradient)));
  }
  return ops.toFloat(sum);
}

/** Orders nodes so each comes after the producers of its inputs (ONNX requires a topologically sorted graph). */
export function sortNodes(graph: GraphProto): void {
  const { order, left } = topologicalOrder(graph.node, [...graph.input.map((i) => i.name), ...graph.initializer.map((t) => t.name)]);
  if (left.length) throw new Error(`internal: export graph has ${left.length} nodes with unresolved inputs (a cycle or a missing tensor)`);
  graph.node.splice(0, graph.node.length, ...order.map((i) => graph.node[i]!));
}

/** Captum Occlusion windows over all channels (the geometry `explain` uses), as pixel bounds per window. */
function occlusionWindows(options: ExplainOptions, dims: readonly Dim[]): { y0: number[]; y1: number[]; x0: number[]; x1: number[]; baseline: number } {
  const [, C, H, W] = dims;
  if (typeof C !== 'number' || typeof H !== 'number' || typeof W !== 'number') throw new LumenError('UNSUPPORTED_MODEL', 'export: Occlusion needs a model with a fixed input size');
  const { window, stride } = occlusionGeometry(options, C, H, W);
  if (window[0] !== C) throw new LumenError('BAD_OPTION', `export: Occlusion windows must span all ${C} channels (got ${window.join(',')})`, 2);
  const baseline = options.baselines ?? 0;
  if (typeof baseline !== 'number') throw new LumenError('BAD_OPTION', 'export: the Occlusion baseline must be one number', 2);
  const out = { y0: [] as number[], y1: [] as number[], x0: [] as number[], x1: [] as number[], baseline };
  for (const [y0, y1] of windowSpans(H, window[1], stride[1])) {
    for (const [x0, x1] of windowSpans(W, window[2], stride[2])) {
      out.y0.push(y0);
      out.y1.push(y1);
      out.x0.push(x0);
      out.x1.push(x1);
    }
  }
  return out;
}

/**
 * RISE's masks as an initializer [J, 1, H, W]: the ones `explain('rise')` draws for the first image of a batch from the
 * same seed and options (every image of the exported batch uses them). `options`: as optionsOf checked and parsed them.
 */
function riseMasks(graph: OnnxGraph, options: RiseOptions, dims: readonly Dim[]): { masks: string; count: number; keepProbability: number; baseline: number } {
  const [, , H, W] = dims;
  if (typeof H !== 'number' || typeof W !== 'number') throw new LumenError('UNSUPPORTED_MODEL', 'export: RISE needs a model with a fixed input size');
  const { numMasks: count, gridSize, p: keepProbability, baseline } = riseSettings(options, H, W, 'export rise');
  // a protobuf file holds at most 2 GB
  if (count * H * W * 4 > 1.5e9) throw new LumenError('BAD_OPTION', `export: RISE with ${count} masks of ${H}×${W} needs ${((count * H * W * 4) / 1e9).toFixed(1)} GB of initializers (ONNX files stop at 2 GB); use fewer numMasks`, 2);
  const P = H * W;
  const data = new Float32Array(count * P);
  const gen = new RiseMasks(H, W, gridSize, keepProbability, new Rng(options.seed));
  for (let j = 0; j < count; j++) gen.next(data.subarray(j * P, (j + 1) * P));
  return { masks: graph.addInitializer(data, [count, 1, H, W], 'lumen_rise_masks'), count, keepProbability, baseline };
}

/** The graph input of raw pixels (`withPreprocessing`). */
export const PIXELS_INPUT = 'pixels';

/**
 * Replace the image input `x` by raw pixels: uint8 NHWC → float → NCHW → bilinear resize to the model's size (half-pixel
 * centres, no antialiasing; a no-op at that size) → rounded back to 0…255 → (u/255 − mean)/std in float32, the same
 * steps and roundings as `imageToTensor` (src/image/preprocess.ts).
 */
function addPreprocessing(ops: GraphOps, model: LumenModel, x: string): ExportedTensor {
  const graph = ops.graph;
  const proto = graph.graph;
  const [, c, h, w] = model.inputDims;
  if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number') throw new LumenError('UNSUPPORTED_MODEL', 'export --with-preprocessing: the model needs a fixed input size and channel count');
  if (proto.node.some((n) => n.output.includes(PIXELS_INPUT)) || proto.input.some((i) => i.name === PIXELS_INPUT)) throw new LumenError('UNSUPPORTED_MODEL', `export: the model already has a tensor named '${PIXELS_INPUT}'`);
  const { mean, std } = channelNormalization(model.normalization ?? NORMALIZATION_PRESETS.unit, c);
  const dims: Dim[] = ['batch', 'height', 'width', c];
  proto.input = proto.input.filter((i) => i.name !== x);
  graph.addInput(PIXELS_INPUT, dims, TensorProto_DataType.UINT8);
  const nchw = ops.transpose(ops.toFloat(PIXELS_INPUT), [0, 3, 1, 2]);
  const sizes = ops.op('Concat', [ops.op('Slice', [ops.shapeOf(nchw), ops.int64s([0]), ops.int64s([2])]), ops.int64s([h, w])], { axis: { i: 0 } });
  const empty = ops.constant([], [0]);
  const resized = ops.op('Resize', [nchw, empty, empty, sizes], { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } });
  const u8 = ops.op('Clip', [ops.op('Round', [resized]), ops.scalar(0), ops.scalar(255)]);
  if (mean.every((m, i) => m === 0 && std[i] === 1 / 255)) {
    graph.addNode('Identity', [u8], [x]);
  } else {
    const unit = ops.div(u8, ops.scalar(255));
    const centred = ops.sub(unit, ops.constant(mean.map(Math.fround), [1, c, 1, 1]));
    graph.addNode('Div', [centred, ops.constant(std.map(Math.fround), [1, c, 1, 1])], [x]);
  }
  return { name: PIXELS_INPUT, type: 'uint8', dims };
}
