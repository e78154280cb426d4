import { LumenError, closestNames } from './errors.js';
import { cloneModel, decodeModel, defaultOpset, MIN_OPSET } from './onnx/io.js';
import { upgradeOpset, type OpsetUpgrade } from './onnx/upgrade.js';
import { batchTolerantSession, openFixedBatch, type BatchOpening } from './batch.js';
import { checkGraph } from './onnx/check.js';
import { countNonFinite } from './methods/validate.js';
import { OnnxGraph, valueInfoDims, type Dim } from './onnx/graph.js';
import { inferElemTypes, inferShapes } from './onnx/shapes.js';
import { opTraits, passesThrough } from './autodiff/registry.js';
import { TensorProto_DataType, type ModelProto, type NodeProto } from './onnx/proto.js';
import { metadataFromProps, type ModelMetadata, type Normalization } from './metadata.js';
import type { Feeds, Runtime, Session, SessionSettings } from './runtime/types.js';
import { defaultSegmentNodes, failedAtCut, segmentGraph } from './runtime/segment.js';
import { Tensor } from './tensor.js';
import { appendTargetScore, softmaxRows, resolveTargets, TARGET_SEED_INPUT, type TargetTransform } from './targets/index.js';
import { attentionNormLayer, channelsFirstInput, detectInputLayout, layerLayouts, nchwDims, parseLayerLayout, type InputLayout, type LayerLayout } from './layout.js';

export interface LayerInfo {
  /** ONNX tensor name (what `--layer` takes). */
  name: string;
  /** Shape at batch 1 ([1, C, h, w], [1, h, w, C] or [1, T, C]). */
  shape: number[];
  /** NCHW, NHWC or a token sequence with its patch grid (src/layout.ts). */
  layout: LayerLayout;
  /** False when the graph does not determine the layout and NCHW (ONNX's convention) is assumed. */
  layoutDetected: boolean;
  /** Op type and node name that produce it. */
  op: string;
  node: string;
  isDefault: boolean;
}

export interface Prediction {
  index: number;
  label: string;
  probability: number;
  logit: number;
}

export interface ModelOptions {
  runtime: Runtime;
  /** Overrides for what the model's own metadata says (e.g. from a sidecar JSON or CLI flags). */
  metadata?: ModelMetadata;
  session?: SessionSettings;
  /** Name used in error messages. */
  source?: string;
}

/** A compiled graph and what its builder learned about it (e.g. its output names), cached together by `compile`. */
export interface Compiled<M> {
  readonly session: Session;
  readonly meta: M;
}

/** What a `compile` builder returns. */
export interface CompileSource<M> {
  /** The graph to compile, or its bytes. */
  graph: OnnxGraph | Uint8Array;
  /** Facts about the graph each call needs (output names, flags), kept with its session; typed by the caller. */
  meta: M;
  /** Overrides of the model's session settings for this graph (e.g. float64 graphs: no fusions into float-only ops). */
  settings?: SessionSettings;
}

/** One `compile` cache entry: the compiled graph, and its session alone for `session()` callers. */
interface CacheEntry {
  compiled: Promise<Compiled<unknown>>;
  session: Promise<Session>;
}

/** Height and width of the probe input when a model leaves its spatial size open: the usual classifier size. */
export const PROBE_SIZE = 224;


/**
 * A loaded image classifier: its graph, metadata and a cache of compiled graphs (the plain model and every
 * explanation graph built from it). Browser-safe: it gets bytes and a Runtime; file loading is in src/node/.
 */
export class LumenModel {
  readonly proto: ModelProto;
  readonly graph: OnnxGraph;
  readonly runtime: Runtime;
  readonly source: string;
  readonly metadata: ModelMetadata;
  readonly inputName: string;
  /** Declared input dims, e.g. ['batch', 3, 224, 224]. */
  readonly inputDims: Dim[];
  /**
   * The layout of the model FILE's image input. Lumen's API takes [N, C, H, W] images for every model: a channels-last
   * file gets a Transpose in front of its graph on load (src/layout.ts), and `inputName`/`inputDims` are that NCHW input.
   */
  readonly fileLayout: InputLayout;
  /** 'features': one [N, F] input (tabular models); 'image': a 4-D input. */
  readonly inputKind: 'image' | 'features';
  /** The model's declared output. */
  readonly outputName: string;
  /** The logits tensor: the output itself, or the input of a final Softmax (as many Keras exports end). */
  readonly logitsName: string;
  readonly endsInSoftmax: boolean;
  /** What loading changed in a graph of an old opset (undefined when the file was used as is). */
  readonly opsetUpgrade: OpsetUpgrade | undefined;
  /** Set when the file fixed the batch at 1: Lumen opened it (src/batch.ts); says how batches run. */
  readonly batchOpening: BatchOpening | undefined;
  /** Settings every compiled graph of this model starts from (threads, execution providers). */
  readonly sessionSettings: SessionSettings;
  /**
   * The model's one cache of compiled graphs (the plain model and every explanation graph built from it), with
   * their metadata, by key (`compile`). A key prefix belongs to one caller, so a key always holds one meta type.
   */
  private readonly compiled = new Map<string, CacheEntry>();
  /** Values derived from the model that are not sessions (tensor shapes, target dims, a folded copy), by key (`derived`). */
  private readonly derivedValues = new Map<string, { value: unknown; release: ((value: never) => unknown) | undefined }>();
  // keyed by a `tensorShapes` map (one per probe size): the layouts read from those shapes
  private readonly layoutCache = new WeakMap<Map<string, number[]>, Map<string, LayerLayout>>();
  private readonly detectedCache = new WeakMap<Map<string, number[]>, Map<string, LayerLayout>>();
  /** The default CAM layer found from those shapes (a graph walk CAM methods would otherwise repeat on every call). */
  private readonly defaultLayerCache = new WeakMap<Map<string, number[]>, string>();
  /** A channels-last file's own input name, now the Transpose of `inputName` (not a layer). */
  private readonly fileInputName: string | undefined;

  private constructor(proto: ModelProto, options: ModelOptions) {
    // graphs of opsets 7–10 are upgraded to 11 on a copy (the caller's proto is never changed)
    if (defaultOpset(proto) < MIN_OPSET) {
      proto = cloneModel(proto);
      this.opsetUpgrade = upgradeOpset(proto, options.source ?? 'model');
    }
    const opened = openFixedBatch(proto);
    if (opened) proto = opened.model;
    this.batchOpening = opened?.opening;
    this.proto = proto;
    this.graph = new OnnxGraph(proto);
    checkGraph(this.graph, options.source ?? 'model');
    this.runtime = options.runtime;
    this.source = options.source ?? 'model';
    this.sessionSettings = options.session ?? {};
    this.metadata = { ...metadataFromProps(proto.metadataProps), ...(options.metadata ?? {}) };

    const feeds = this.graph.feedInputs;
    // A single [N, F] input is a feature-vector (tabular) model, explained by src/methods/tabular.
    const featureInput = feeds.length === 1 && valueInfoDims(feeds[0]!)?.length === 2 ? feeds[0] : undefined;
    const imageInput = feeds.find((i) => valueInfoDims(i)?.length === 4) ?? featureInput;
    if (!imageInput) {
      const got = feeds.map((i) => `${i.name} [${(valueInfoDims(i) ?? ['?']).join(', ')}]`).join('; ') || 'none';
      throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: Lumen explains image classifiers with a 4-D image input (N,C,H,W or N,H,W,C) and feature-vector models with one [N, F] input; this model's inputs are: ${got}`);
    }
    this.inputKind = imageInput === featureInput ? 'features' : 'image';
    if (feeds.length > 1) {
      throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: the model has ${feeds.length} inputs (${feeds.map((f) => f.name).join(', ')}); Lumen supports single-input classifiers`);
    }
    this.inputName = imageInput.name;
    this.inputDims = valueInfoDims(imageInput)!;
    this.fileLayout = this.inputKind === 'image' ? detectInputLayout(this.graph, this.inputName, this.inputDims) : 'NCHW';
    if (this.fileLayout === 'NHWC') {
      const g = OnnxGraph.copyOf(proto);
      const input = channelsFirstInput(g, this.inputName, this.inputDims);
      this.proto = g.model;
      this.graph = g;
      this.fileInputName = this.inputName;
      this.inputName = input.name;
      this.inputDims = input.dims;
    }

    const output = proto.graph!.output[0];
    if (!output) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: the model declares no output`);
    this.outputName = output.name;
    const last = this.followIdentityBack(this.outputName);
    this.endsInSoftmax = last?.opType === 'Softmax';
    this.logitsName = this.endsInSoftmax ? last!.input[0]! : this.outputName;
  }

  static fromBytes(bytes: Uint8Array, options: ModelOptions): LumenModel {
    if (options === null || typeof options !== 'object') throw new LumenError('BAD_OPTION', 'LumenModel.fromBytes: options must be an object with a runtime', 2);
    return new LumenModel(decodeModel(bytes, options.source ?? 'model'), options);
  }

  static fromProto(proto: ModelProto, options: ModelOptions): LumenModel {
    return new LumenModel(proto, options);
  }

  /** The layout of the image tensors Lumen's API takes and returns: NCHW for every model (see `fileLayout`). */
  get layout(): 'NCHW' {
    return 'NCHW';
  }

  get channels(): number {
    const d = this.inputDims[1];
    return typeof d === 'number' ? d : 3;
  }

  /** Indices of the input's height and width axes. */
  private get spatialAxes(): [number, number] {
    return [2, 3];
  }

  /** Spatial input size, when fixed by the model. */
  get inputSize(): { height: number | undefined; width: number | undefined } {
    const [h, w] = this.spatialAxes.map((a) => this.inputDims[a]);
    return { height: typeof h === 'number' ? h : undefined, width: typeof w === 'number' ? w : undefined };
  }

  get classNames(): string[] | undefined {
    return this.metadata.classes;
  }

  /** How class (or category) k is named: its name in the model's metadata, else `class_k`. */
  classLabel(k: number): string {
    return this.classNames?.[k] ?? `class_${k}`;
  }

  get normalization(): Normalization | undefined {
    return this.metadata.normalization;
  }

  /**
   * A batch-1 input of zeros. Sizes the model leaves open are taken from `like` (an input about to be explained);
   * without it, open spatial sizes are PROBE_SIZE (shape discovery and class counts work at any size a dynamic model
   * accepts).
   */
  zeroInput(like?: Tensor): Tensor {
    return Tensor.zeros(this.probeDims(like));
  }

  /** The dims of `zeroInput(like)`, without allocating it. */
  private probeDims(like?: Tensor): number[] {
    const spatialAxes = this.spatialAxes;
    const dims = this.inputDims.map((d, i) => {
      if (typeof d === 'number' && d > 0) return i === 0 ? 1 : d;
      if (i === 0) return 1;
      if (like) return like.dims[i]!;
      return spatialAxes.includes(i) ? PROBE_SIZE : NaN;
    });
    if (dims.some((d) => Number.isNaN(d))) {
      throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: the input's channel count is not fixed ([${this.inputDims.join(', ')}])`);
    }
    return dims;
  }

  /** Whether the model leaves its input's height or width open (layer shapes then depend on the image size). */
  get dynamicSpatialSize(): boolean {
    return this.spatialAxes.some((a) => {
      const d = this.inputDims[a];
      return typeof d !== 'number' || d <= 0;
    });
  }

  /** Check a batch tensor against the declared input shape. */
  checkInput(input: Tensor): void {
    if (!(input instanceof Tensor)) throw new LumenError('INPUT_SHAPE', `${this.source}: the input must be a Tensor, got ${input === null ? 'null' : typeof input}`, 2);
    // ORT divides by the batch size in places: an empty batch must never reach it (it killed Node with SIGFPE).
    if (input.dims.some((d) => d < 1)) throw new LumenError('INPUT_SHAPE', `${this.source}: input of shape [${input.dims.join(', ')}] is empty; give at least one item`, 2);
    const nonFinite = countNonFinite(input.data);
    if (nonFinite > 0) throw new LumenError('NON_FINITE', `${this.source}: the input holds ${nonFinite} NaN or infinite values; Lumen explains finite inputs only`);
    const want = this.inputDims;
    const ok = input.rank === want.length && want.every((d, i) => typeof d !== 'number' || d <= 0 || d === input.dims[i]);
    if (!ok && this.inputKind === 'features' && input.rank !== 2) {
      throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: a feature-vector model (input '${this.inputName}' [${want.join(', ')}]) takes rows of a CSV, not images: explain it with lumen pdp, ice, ale, importance or shap`);
    }
    if (!ok) {
      const layoutHint = this.fileLayout === 'NHWC' ? ` (the model file is channels-last; Lumen takes its images as [N, C, H, W] like every model's and transposes them inside the graph)` : '';
      throw new LumenError('INPUT_SHAPE', `${this.source}: input of shape [${input.dims.join(', ')}] does not fit the model's input '${this.inputName}' [${want.join(', ')}]${layoutHint}`);
    }
  }

  /**
   * A compiled graph and its metadata, cached under `key`: `build` (called only on a miss) returns the graph and
   * what later calls need to know about it (`meta`, e.g. its output names), so nothing about a compiled graph is
   * kept outside the model. Every explanation graph goes through here, so compile cost is paid once per (model,
   * request). A failed build or compile is evicted (the next call retries and reports its own error); `dispose`
   * releases every session. Give each caller its own key prefix: a key then always holds one meta type.
   */
  compile<M>(key: string, build: () => CompileSource<M>): Promise<Compiled<M>> {
    return (this.compiled.get(key) ?? this.compileEntry(key, build)).compiled as Promise<Compiled<M>>;
  }

  /** `compile` for a graph whose calls need nothing but the session (no allocation on a hit). */
  session(key: string, build: () => Uint8Array | OnnxGraph, settings?: SessionSettings): Promise<Session> {
    return (this.compiled.get(key) ?? this.compileEntry(key, () => ({ graph: build(), meta: undefined, ...(settings ? { settings } : {}) }))).session;
  }

  private compileEntry<M>(key: string, build: () => CompileSource<M>): CacheEntry {
    const compiled = (async (): Promise<Compiled<M>> => {
      const { graph, meta, settings } = build();
      const chosen = { ...this.sessionSettings, ...settings };
      let created: Session;
      if (graph instanceof OnnxGraph) {
        // the graph's size lets the runtime pick its optimization level (src/runtime/ort.ts, LARGE_GRAPH_NODES)
        const sized = { ...chosen, graphNodes: graph.nodes.length };
        // a very long graph is compiled in segments (src/runtime/segment.ts); below the threshold, as it is
        const segmentNodes = chosen.segmentNodes ?? defaultSegmentNodes(graph.nodes.length);
        const segmented = segmentNodes > 0 && this.runtime.segments ? segmentGraph(graph, segmentNodes) : undefined;
        const whole = (): Promise<Session> => this.runtime.createSession(graph.toBytes(), sized);
        // cutting must never break a graph that compiles whole: when ORT's error names a value handed across a cut
        // (e.g. with an element type Lumen's inference got wrong for an op it does not know), it is compiled whole
        // and that error, if any, is the one seen; any other error is the graph's own (node, op), seen at once
        created = segmented
          ? await this.runtime.createSession(segmented, sized).catch((e: unknown) => {
              if (failedAtCut(e, segmented)) return whole();
              throw e;
            })
          : await whole();
      } else created = await this.runtime.createSession(graph, chosen);
      return { session: this.batchOpening ? batchTolerantSession(created, this.batchOpening) : created, meta };
    })();
    const entry: CacheEntry = { compiled, session: compiled.then((c) => c.session) };
    this.compiled.set(key, entry);
    entry.session.catch(() => {
      if (this.compiled.get(key) === entry) this.compiled.delete(key);
    });
    return entry;
  }

  /**
   * A value derived from the model that is not a compiled graph (tensor shapes, a target's dims, a BatchNorm-folded
   * copy), made once per `key` and kept until `dispose`, which calls `release` on it (on what a promise resolved
   * to). A rejected promise is evicted (the next call retries and reports its own error). As with `compile`, a key
   * prefix belongs to one caller.
   */
  derived<T>(key: string, make: () => T, release?: (value: Awaited<T>) => unknown): T {
    const hit = this.derivedValues.get(key);
    if (hit) return hit.value as T;
    const value = make();
    this.derivedValues.set(key, { value, release: release as ((value: never) => unknown) | undefined });
    if (value instanceof Promise) {
      value.catch(() => {
        if (this.derivedValues.get(key)?.value === value) this.derivedValues.delete(key);
      });
    }
    return value;
  }

  /** Run the model, returning the logits and any intermediate tensors asked for. */
  async forward(input: Tensor, fetch: readonly string[] = []): Promise<{ logits: Tensor; tensors: Record<string, Tensor> }> {
    this.checkInput(input);
    if (!Array.isArray(fetch)) throw new LumenError('BAD_OPTION', 'forward: the tensors to fetch must be an array of names', 2);
    for (const name of fetch) this.requireTensor(name);
    const outputs = [this.logitsName, ...fetch.filter((f) => f !== this.logitsName)];
    const key = `forward:${outputs.join('|')}`;
    const session = await this.session(key, () => {
      const g = OnnxGraph.copyOf(this.proto);
      g.setOutputs(outputs);
      return g;
    });
    const result = await session.run({ [this.inputName]: input } as Feeds, outputs);
    const nonFinite = countNonFinite(result[this.logitsName]!.data);
    if (nonFinite > 0) throw new LumenError('NON_FINITE', `${this.source}: the model's output '${this.logitsName}' holds ${nonFinite} NaN or infinite values for this input (weights that are not finite, or values that overflow float32); nothing can be explained from it`);
    return { logits: result[this.logitsName]!, tensors: result };
  }

  /**
   * Logits (or the `output` tensor a target reads) of one image seen through each of `masks`: x_i = baseline + mask_i ⊙ (image − baseline), composited
   * inside the graph (perturbation methods stay a batched forward pass, without a per-mask JS loop over C·H·W).
   * `image` is one item [1, C, H, W]; masks are [n, 1, H, W],
   * broadcast over channels; `baseline` is a number (default 0: x_i = mask_i ⊙ image) or a tensor like `image`.
   * `mode: 'select'` takes each pixel from the image where the mask is non-zero and from the baseline elsewhere,
   * exactly (a Where, no arithmetic): segment on/off perturbations (LIME, KernelSHAP, feature ablation).
   * `score`: return instead the target's scalar per mask, [n], computed in the session (src/targets
   * appendTargetScore; `score.seed` is the seed row(s) to feed, [1 or n, …] like `output`).
   */
  async forwardMasked(image: Tensor, masks: Tensor, baseline: number | Tensor = 0, mode: 'blend' | 'select' = 'blend', output: string = this.logitsName, score?: { seed: Tensor; output: TargetTransform }): Promise<Tensor> {
    this.checkInput(image);
    if (image.dims[0] !== 1) throw new LumenError('INPUT_SHAPE', `forwardMasked: one image at a time, got a batch of ${image.dims[0]}`);
    const channelAxis = 1;
    const want = image.dims.map((d, i) => (i === 0 ? masks.dims[0]! : i === channelAxis ? 1 : d));
    if (masks.rank !== 4 || masks.dims.some((d, i) => d !== want[i])) {
      throw new LumenError('INPUT_SHAPE', `forwardMasked: masks must be [${want.join(', ')}], got [${masks.dims.join(', ')}]`);
    }
    const withBaseline = mode === 'select' || baseline instanceof Tensor || baseline !== 0;
    const key = `masked:${mode}:${withBaseline ? 'baseline' : 'plain'}:${output}${score ? `:score:${score.output}:${score.seed.rank}` : ''}`;
    const session = await this.session(key, () => {
      const g = OnnxGraph.copyOf(this.proto);
      const dims = this.inputDims;
      const maskDims = dims.map((d, i) => (i === 0 ? 'masks' : i === channelAxis ? 1 : d));
      const imageDims = dims.map((d, i) => (i === 0 ? 1 : d));
      // the model's input becomes a tensor computed from the new inputs, by nodes placed before every other node
      const first = g.graph.node.length;
      if (mode === 'select') {
        const on = g.op('Cast', ['lumen_masks'], { to: { i: TensorProto_DataType.BOOL } });
        g.addNode('Where', [on, 'lumen_image', 'lumen_baseline'], [this.inputName]);
      } else if (withBaseline) {
        const delta = g.op('Sub', ['lumen_image', 'lumen_baseline']);
        const blended = g.op('Mul', ['lumen_masks', delta]);
        g.addNode('Add', ['lumen_baseline', blended], [this.inputName]);
      } else {
        g.addNode('Mul', ['lumen_masks', 'lumen_image'], [this.inputName]);
      }
      g.graph.node.unshift(...g.graph.node.splice(first));
      g.graph.input = g.graph.input.filter((i) => i.name !== this.inputName);
      g.addInput('lumen_image', imageDims);
      g.addInput('lumen_masks', maskDims);
      if (withBaseline) g.addInput('lumen_baseline', imageDims);
      if (score) appendTargetScore(g, output, score.output, score.seed.rank);
      else g.setOutputs([output]);
      return g;
    });
    const feeds: Feeds = { lumen_image: image, lumen_masks: masks };
    if (withBaseline) feeds.lumen_baseline = baseline instanceof Tensor ? baseline : new Tensor(new Float32Array(image.size).fill(baseline), image.dims);
    if (score) feeds[TARGET_SEED_INPUT] = score.seed;
    const fetched = score ? session.outputNames[0]! : output;
    const result = await session.run(feeds, [fetched]);
    return result[fetched]!;
  }

  /** Top-k classes per image with softmax probabilities. */
  async predict(input: Tensor, topK = 5): Promise<Prediction[][]> {
    const { logits } = await this.forward(input);
    resolveTargets('top1', logits); // refuses an output that is not [N, K] class scores (one check, in src/targets)
    const probs = softmaxRows(logits);
    const [n, k] = [logits.dims[0]!, logits.dims[1]!];
    const out: Prediction[][] = [];
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: k }, (_, j) => ({
        index: j,
        label: this.classLabel(j),
        probability: probs.data[i * k + j]!,
        logit: logits.data[i * k + j]!,
      }));
      row.sort((a, b) => b.logit - a.logit || a.index - b.index);
      out.push(row.slice(0, Math.min(topK, k)));
    }
    return out;
  }

  /**
   * Shapes of every float tensor at batch 1, in graph order, computed once per input size. For a model with an open
   * spatial size they are the shapes at `like`'s size (PROBE_SIZE without it). One source: static inference
   * (src/onnx/shapes.ts); a tensor it leaves open (an op it does not cover, a data-dependent size) is measured by
   * running the model on zeros, and an error of that run is this call's error (and is not cached).
   */
  tensorShapes(like?: Tensor): Promise<Map<string, number[]>> {
    const dims = this.probeDims(this.dynamicSpatialSize ? like : undefined);
    return this.derived(`shapes:${dims.join('x')}`, () => this.findShapes(dims));
  }

  private async findShapes(dims: number[]): Promise<Map<string, number[]>> {
    // only float tensors: shape arithmetic (Shape, Gather of shapes, Cast to int, Equal…) is integer or bool
    const types = inferElemTypes(this.graph);
    const names = this.graph.nodes.flatMap((n) => (n.opType === 'Constant' ? [] : n.output.filter((o) => o && types.get(o) === TensorProto_DataType.FLOAT)));
    const inferred = inferShapes(this.graph, { [this.inputName]: dims });
    const open = names.filter((t) => !inferred.get(t)?.every((d) => typeof d === 'number' && d >= 0));
    let measured: Record<string, Tensor> = {};
    if (open.length > 0) {
      const session = await this.session(`shapes:${open.join('|')}`, () => {
        const g = OnnxGraph.copyOf(this.proto);
        g.setOutputs(open);
        return g;
      });
      measured = await session.run({ [this.inputName]: Tensor.zeros(dims) }, open);
    }
    const shapes = new Map<string, number[]>();
    for (const t of names) shapes.set(t, measured[t] ? [...measured[t].dims] : (inferred.get(t) as number[]));
    return shapes;
  }

  /**
   * Every 4-D activation a CAM method could target, in graph order, with the default marked. `like`: the input about
   * to be explained, for models with an open spatial size (shapes at PROBE_SIZE otherwise).
   */
  async layers(like?: Tensor): Promise<LayerInfo[]> {
    const shapes = await this.tensorShapes(like);
    const layouts = this.layoutsOf(shapes);
    const defaultLayer = this.defaultLayerName(shapes);
    const out: LayerInfo[] = [];
    for (const node of this.graph.nodes) {
      for (const o of node.output) {
        const s = shapes.get(o);
        const layout = layouts.get(o);
        if (!s || !layout) continue;
        out.push({ name: o, shape: s, layout, layoutDetected: this.detectedLayouts(shapes).has(o), op: node.opType, node: node.name, isDefault: o === defaultLayer });
      }
    }
    return out;
  }

  /**
   * The layout of a CAM layer: `override` (a `layerLayout` option, checked against the layer's shape) or the one
   * found from the graph (`like` as for `layers`).
   */
  async layerLayout(name: string, like?: Tensor, override?: unknown): Promise<LayerLayout> {
    const shapes = await this.tensorShapes(like);
    const detected = this.layoutsOf(shapes).get(name);
    if (override !== undefined && override !== null && override !== '') {
      const dims = shapes.get(name);
      if (!dims) throw new LumenError('UNKNOWN_LAYER', `unknown layer '${name}'`, 2);
      return parseLayerLayout(override, name, dims, detected);
    }
    if (!detected) throw new LumenError('UNSUPPORTED_MODEL', `layer '${name}' [${(shapes.get(name) ?? []).join(', ')}] is not a feature map or a patch-token sequence Lumen recognizes; give its layout with layerLayout (NCHW, NHWC, tokens:K+HxW)`, 2);
    return detected;
  }

  /**
   * Layouts of the CAM layer candidates: what the graph determines (src/layout.ts), and every other 4-D tensor as
   * NCHW (ONNX's convention). The model's own input, and its channels-last copy, are not layers.
   */
  private layoutsOf(shapes: Map<string, number[]>): Map<string, LayerLayout> {
    let m = this.layoutCache.get(shapes);
    if (!m) {
      const found = this.detectedLayouts(shapes);
      m = new Map();
      for (const node of this.graph.nodes) {
        for (const o of node.output) {
          const s = shapes.get(o);
          if (!s || o === this.inputName || o === this.fileInputName) continue;
          // an undetermined 4-D tensor is assumed NCHW when its first axis is the batch (1 in these batch-1 shapes)
          const l = found.get(o) ?? (s.length === 4 && s[0] === 1 ? { kind: 'NCHW' as const } : undefined);
          if (l) m.set(o, l);
        }
      }
      this.layoutCache.set(shapes, m);
    }
    return m;
  }

  private detectedLayouts(shapes: Map<string, number[]>): Map<string, LayerLayout> {
    let m = this.detectedCache.get(shapes);
    if (!m) {
      m = layerLayouts(this.graph, this.inputName, shapes);
      this.detectedCache.set(shapes, m);
    }
    return m;
  }

  /** The layer CAM methods use when none is given: metadata's, else the last spatial tensor before pooling. */
  async defaultLayer(like?: Tensor): Promise<string> {
    return this.defaultLayerName(await this.tensorShapes(like));
  }

  /** Validate layer names, listing candidates for a wrong one (`like` as for `layers`). */
  async resolveLayers(layer: string | readonly string[] | undefined, like?: Tensor): Promise<string[]> {
    if (layer === undefined || (Array.isArray(layer) && layer.length === 0)) return [await this.defaultLayer(like)];
    const names = typeof layer === 'string' ? [layer] : [...layer];
    const layers = await this.layers(like);
    const shapes = await this.tensorShapes(like);
    for (const n of names) {
      // a 3-D or 4-D tensor whose layout the graph leaves open is accepted too: `layerLayout` can say it
      const rank = n === this.inputName || n === this.fileInputName ? 0 : shapes.get(n)?.length;
      if (!layers.some((l) => l.name === n) && rank !== 3 && rank !== 4) {
        const cands = closestNames(n, layers.map((l) => l.name), 8);
        throw new LumenError('UNKNOWN_LAYER', `unknown layer '${n}'. Candidate layers (run 'lumen layers' for all ${layers.length}): ${cands.join(', ')}`, 2);
      }
    }
    return names;
  }

  /** Throw a clear error when a tensor name does not exist in the graph. */
  requireTensor(name: string): void {
    if (name === this.inputName || this.graph.producer(name)) return;
    const all = this.graph.nodes.flatMap((n) => n.output);
    throw new LumenError('UNKNOWN_LAYER', `unknown tensor '${name}'. Closest names: ${closestNames(name, all, 8).join(', ')}`, 2);
  }

  /** Release every compiled session and derived value (a failed one has nothing to release). */
  async dispose(): Promise<void> {
    const compiled = [...this.compiled.values()];
    const derived = [...this.derivedValues.values()];
    this.compiled.clear();
    this.derivedValues.clear();
    await Promise.all([
      ...compiled.map(async (c) => (await c.session.catch(() => undefined))?.dispose()),
      ...derived.map(async ({ value, release }) => {
        if (!release) return;
        const v = value instanceof Promise ? await value.then((x: unknown) => ({ ok: true as const, x }), () => ({ ok: false as const })) : { ok: true as const, x: value };
        if (v.ok) await release(v.x as never);
      }),
    ]);
  }

  private defaultLayerName(shapes: Map<string, number[]>): string {
    let name = this.defaultLayerCache.get(shapes);
    if (name === undefined) {
      name = this.findDefaultLayer(shapes);
      this.defaultLayerCache.set(shapes, name);
    }
    return name;
  }

  private findDefaultLayer(shapes: Map<string, number[]>): string {
    const meta = this.metadata.defaultLayer;
    if (typeof meta === 'string' && shapes.has(meta)) return meta;
    // transformers: the first LayerNorm of the last attention block (pytorch-grad-cam's advice for ViT and Swin)
    const attention = attentionNormLayer(this.graph, this.detectedLayouts(shapes), new Set([this.outputName]));
    if (attention) return attention;
    let best: string | undefined;
    for (const node of this.graph.nodes) {
      if (!this.poolsForHead(node, shapes)) continue;
      const src = node.input[0];
      const s = src ? shapes.get(src) : undefined;
      const layout = src ? this.layoutsOf(shapes).get(src) : undefined;
      if (s && layout && layout.kind !== 'tokens' && nchwDims(s, layout)[2] * nchwDims(s, layout)[3] > 1) best = src;
    }
    if (best) return best;
    const fourD = [...shapes.entries()].filter(([n, s]) => s.length === 4 && n !== this.inputName);
    const last = fourD[fourD.length - 1];
    if (!last) throw new LumenError('UNSUPPORTED_MODEL', `${this.source}: no 4-D activation found for CAM methods`);
    return last[0];
  }

  /** Consumers of each tensor (built on first use by poolsForHead). */
  private consumerMap: Map<string, NodeProto[]> | undefined;

  /**
   * Whether `node` pools a feature map for the classifier head: a flatten/global pooling (or a pool down to 1×1)
   * whose result reaches the output without being broadcast back onto a feature map — the pooling of a
   * squeeze-excitation or attention gate is (its result multiplies a spatial tensor), so CAM's default layer is
   * the gated map after it.
   */
  private poolsForHead(node: NodeProto, shapes: Map<string, number[]>): boolean {
    // a feature map with more than one position, measured in its own layout (an NHWC [1, 1, 1, C] is pooled)
    const layouts = this.layoutsOf(shapes);
    const spatial = (t: string): boolean => {
      const s = shapes.get(t);
      if (s === undefined || s.length !== 4) return false;
      const [, , h, w] = nchwDims(s, layouts.get(t) ?? { kind: 'NCHW' });
      return h * w > 1;
    };
    const out = node.output[0];
    if (!out) return false;
    // a windowed pool (an op of kind 'pool') down to one position
    const global = opTraits(node.opType)?.kind === 'pool' && shapes.get(out)?.length === 4 && !spatial(out);
    // ops after which a tensor stops being a spatial feature map (where CAM users pick their layer): their headBoundary trait
    if (!opTraits(node.opType)?.headBoundary && !global) return false;
    if (!this.consumerMap) {
      this.consumerMap = new Map();
      for (const n of this.graph.nodes) for (const i of new Set(n.input)) if (i) this.consumerMap.set(i, [...(this.consumerMap.get(i) ?? []), n]);
    }
    const seen = new Set<string>([out]);
    const queue = [out];
    while (queue.length > 0) {
      const t = queue.shift()!;
      for (const c of this.consumerMap.get(t) ?? []) {
        if (c.input.some((i) => i && i !== t && spatial(i)) || c.output.some((o) => o && spatial(o))) return false;
        for (const o of c.output) if (o && !seen.has(o)) seen.add(o) && queue.push(o);
      }
    }
    return true;
  }

  private followIdentityBack(tensor: string): NodeProto | undefined {
    let node = this.graph.producer(tensor);
    const seen = new Set<NodeProto>();
    while (node && passesThrough(node.opType) && !seen.has(node)) {
      seen.add(node);
      node = this.graph.producer(node.input[0]!);
    }
    return node;
  }
}
