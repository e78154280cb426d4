import { closestNames, LumenError } from '../errors.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { bestClass, candidateBox, detectionHead, iou, itemValues } from './detection.js';
import { specKind, specRank, type ClassTarget, type DetectionTarget, type EmbeddingTarget, type IndexTarget, type PreResolvedTarget, type SegmentationTarget, type TargetBox, type TargetOutput, type TargetSpec, type TargetTransform, type WeightsTarget } from './spec.js';

/**
 * A target resolved for one batch: the explained scalar of image i is Σ seed[i] ⊙ transform(tensor[i]). Gradient
 * methods seed their backward pass with `seed` (through `output`'s nodes); perturbation methods and metrics score
 * with `targetScores`. Both therefore explain the same number.
 */
export interface ResolvedTargets {
  /** Class (category, output index, detection class) explained for each batch item; -1 when there is none. */
  classes: number[];
  /** Weights shaped like the explained tensor, [N, …]. */
  seed: Tensor;
  output: TargetTransform;
  /** The model tensor the scalar reads; absent: the model's logits. */
  tensor?: string;
}

type ObjectSpec<K> = Extract<TargetSpec, K>;

/** The tensor a resolved target reads. */
export function targetTensor(model: LumenModel, targets: Pick<ResolvedTargets, 'tensor'> | TargetSpec | undefined): string {
  const t = targets !== undefined && typeof targets === 'object' && !Array.isArray(targets) && 'tensor' in targets ? targets.tensor : undefined;
  return t ?? model.logitsName;
}

/** Per-image seed row size of a resolved target. */
export function seedSize(targets: Pick<ResolvedTargets, 'seed'>): number {
  return targets.seed.size / targets.seed.dims[0]!;
}

/** Seed rows `rowOf(0…count−1)` of a resolved target, as one [count, …] tensor. */
export function seedRows(targets: Pick<ResolvedTargets, 'seed'>, count: number, rowOf: (i: number) => number): Tensor {
  const per = seedSize(targets);
  const out = new Float32Array(count * per);
  for (let i = 0; i < count; i++) out.set(targets.seed.data.subarray(rowOf(i) * per, (rowOf(i) + 1) * per), i * per);
  return new Tensor(out, [count, ...targets.seed.dims.slice(1)]);
}

/** Check that `tensor` exists (an output name the user gave), listing the model's outputs when it does not. */
export function requireTargetTensor(model: LumenModel, tensor: string): void {
  if (tensor === model.logitsName || tensor === model.inputName || model.graph.producer(tensor)) return;
  const outputs = model.proto.graph!.output.map((o) => o.name);
  const all = model.graph.nodes.flatMap((n) => n.output);
  throw new LumenError('UNKNOWN_LAYER', `unknown output '${tensor}': the model's outputs are ${outputs.join(', ')} (closest tensor names: ${closestNames(tensor, all, 5).join(', ')})`, 2);
}

/**
 * Dims of `tensor` for one image (without the batch axis), cached on the model per tensor and input size: the
 * model's tensor shapes (`tensorShapes`: static inference, a run on zeros for what it leaves open); a tensor those
 * do not list (not float, or of unknown type) is measured by a batch-1 run. The one place the class count (and any
 * output's size) comes from.
 */
export function targetDims(model: LumenModel, input: Tensor, tensor: string = model.logitsName): Promise<number[]> {
  return model.derived(`target-dims:${tensor}|${input.dims.slice(1).join('x')}`, async () => {
    requireTargetTensor(model, tensor);
    if (tensor === model.inputName) return input.dims.slice(1);
    const dims = (await model.tensorShapes(input)).get(tensor);
    if (dims) return dims.slice(1);
    const { values } = await forwardTarget(model, model.zeroInput(input), tensor);
    return values.dims.slice(1);
  });
}

/** A top-k rank within K classes, or TARGET_RANGE in the one wording: 'target top12: the model has 10 classes (top1…top10)'. */
export function checkTopRank(rank: number, k: number): void {
  if (!(rank >= 1 && rank <= k)) throw new LumenError('TARGET_RANGE', `target top${rank}: the model has ${k} classes (top1…top${k})`, 2);
}

/** A top-k class target resolved inside the gradient graph (a RankSeed: no separate forward pass to find the class). */
export interface RankTarget {
  rank: number;
  output: TargetOutput;
  tensor: string;
}

/**
 * A 'topK' class target (or the default, top1) that a gradient run can seed inside its graph (a RankSeed: no forward
 * pass to find the class): its rank, output transform and tensor, when that tensor holds one row of K scores per image;
 * undefined for any other spec or tensor shape. A rank beyond K is refused here (checkTopRank).
 */
export async function rankTarget(model: LumenModel, input: Tensor, spec: TargetSpec | undefined): Promise<RankTarget | undefined> {
  const rank = specRank(spec);
  if (!rank) return undefined;
  const tensor = targetTensor(model, spec);
  const dims = await targetDims(model, input, tensor);
  if (dims.slice(0, -1).some((d) => d !== 1)) return undefined;
  checkTopRank(rank.rank, dims[dims.length - 1]!);
  return { ...rank, tensor };
}

/** What a class count counts: the K of a classifier's [N, K] scores, or the C categories of a [N, C, H, W] map. */
export type CountedOutput = 'class' | 'segmentation';

/**
 * Number of classes of an output, without running the model when shapes are static: K of a classifier's [N, K], C of
 * a segmentation map [N, C, H, W] (its categories). `kind` says which the caller reads (an output of another shape is
 * refused); without it, a rank-4 output is read as a map and anything else by its last axis.
 */
export async function classCount(model: LumenModel, input: Tensor = model.zeroInput(), tensor?: string, kind?: CountedOutput): Promise<number> {
  const dims = await targetDims(model, input, tensor);
  const rank = kind === 'class' ? 1 : kind === 'segmentation' ? 3 : dims.length;
  if (dims.length !== rank) {
    const want = kind === 'class' ? "a classifier's [batch, classes] scores" : 'a segmentation map [batch, classes, height, width]';
    throw new LumenError('UNSUPPORTED_MODEL', `'${tensor ?? model.logitsName}' is [${[input.dims[0], ...dims].join(', ')}], not ${want}`);
  }
  return rank === 3 ? dims[0]! : dims[dims.length - 1]!;
}

/** Run the model and return the target tensor's values (and any `fetch`ed tensors). */
export async function forwardTarget(model: LumenModel, input: Tensor, tensor: string = model.logitsName, fetch: readonly string[] = []): Promise<{ values: Tensor; tensors: Record<string, Tensor> }> {
  if (tensor === model.logitsName) {
    const r = await model.forward(input, fetch);
    return { values: r.logits, tensors: r.tensors };
  }
  const r = await model.forward(input, [tensor, ...fetch.filter((f) => f !== tensor)]);
  return { values: r.tensors[tensor]!, tensors: r.tensors };
}

/** Whether resolving `spec` needs the model's outputs on the batch (top-k, default, "where it wins", best box). */
export function needsOutputs(spec: TargetSpec | undefined): boolean {
  switch (specKind(spec)) {
    case 'class': return specRank(spec) !== undefined;
    case 'segmentation': {
      const s = spec as SegmentationTarget;
      return s.mask === undefined && s.box === undefined;
    }
    case 'detection': {
      const s = spec as DetectionTarget;
      return s.index === undefined || s.class === undefined;
    }
    default: return false;
  }
}

/**
 * Resolve a target for a batch: runs the model only when the spec depends on its outputs; an embedding reference
 * image is run once to get its embedding. The one entry point of every method family and metric. `outputs`: the
 * target tensor's values on `input` when the caller has them already.
 */
export async function resolveBatchTargets(model: LumenModel, input: Tensor, spec: TargetSpec | undefined, timings?: { runMs: number }, outputs?: Tensor): Promise<ResolvedTargets> {
  const tensor = targetTensor(model, spec);
  requireTargetTensor(model, tensor);
  checkDetectionBox(spec, input, model.layout);
  let s = spec;
  const t0 = now();
  if (specKind(spec) === 'embedding') s = await embeddingOfReference(model, input, spec as EmbeddingTarget, tensor);
  const values = outputs ?? (needsOutputs(s) ? (await forwardTarget(model, input, tensor)).values : Tensor.zeros([input.dims[0]!, ...(await targetDims(model, input, tensor))]));
  if (timings) timings.runMs += now() - t0;
  const resolved = resolveTargets(s, values, model.classNames);
  if (tensor !== model.logitsName) resolved.tensor = tensor;
  return resolved;
}

/** A reference given as an image becomes its embedding (one run); one given as values is checked in resolveTargets. */
async function embeddingOfReference(model: LumenModel, input: Tensor, spec: EmbeddingTarget, tensor: string): Promise<EmbeddingTarget> {
  const ref = spec.reference;
  if (!(ref instanceof Tensor) || ref.rank !== 4) return spec;
  const want = [1, ...input.dims.slice(1)];
  if (ref.dims.length !== want.length || ref.dims.some((d, i) => d !== want[i])) {
    throw new LumenError('INPUT_SHAPE', `embedding reference image of shape [${ref.dims.join(', ')}] does not match the explained input [${want.join(', ')}]: give one image of the same size`, 2);
  }
  const { values } = await forwardTarget(model, ref, tensor);
  return { ...spec, reference: values.data };
}

/**
 * Resolve a target against the explained tensor's values [N, …] for the batch (zeros of the right shape when the
 * spec does not depend on them).
 */
export function resolveTargets(spec: TargetSpec | undefined, values: Tensor, classNames?: readonly string[]): ResolvedTargets {
  switch (specKind(spec)) {
    case 'index': return resolveIndex(spec as IndexTarget, values);
    case 'segmentation': return resolveSegmentation(spec as SegmentationTarget, values);
    case 'detection': return resolveDetection(spec as DetectionTarget, values);
    case 'embedding': return resolveEmbedding(spec as EmbeddingTarget, values);
    case 'resolved': return resolveResolved(spec as PreResolvedTarget, values);
    default: return resolveClass(spec as ObjectSpec<number | readonly number[] | string | ClassTarget | WeightsTarget> | undefined, values, classNames);
  }
}

function resolveClass(spec: number | readonly number[] | string | ClassTarget | WeightsTarget | undefined, values: Tensor, classNames?: readonly string[]): ResolvedTargets {
  const n = values.dims[0]!;
  const k = values.size / n;
  if (values.dims.slice(1, -1).some((d) => d !== 1)) {
    throw new LumenError('TARGET_RANGE', `class targets explain a [N, K] output; this one is [${values.dims.join(', ')}] (use seg:<category>, det:<index> or out:<index>)`, 2);
  }
  const s = spec ?? 'top1';
  const output: TargetOutput = typeof s === 'object' && !Array.isArray(s) && 'output' in s && s.output ? s.output : 'logit';
  const seed = Tensor.zeros(values.dims);
  const describe = (c: number): string => (classNames?.[c] ? `${c} (${classNames[c]})` : String(c));

  if (typeof s === 'object' && !Array.isArray(s) && 'weights' in s) {
    if (s.weights.length !== k) throw new LumenError('TARGET_RANGE', `target weights have ${s.weights.length} entries but the model has ${k} outputs`, 2);
    for (let i = 0; i < n; i++) seed.data.set(s.weights, i * k);
    return { classes: new Array<number>(n).fill(-1), seed, output };
  }
  const cls = typeof s === 'object' && !Array.isArray(s) && 'class' in s ? s.class : (s as number | readonly number[] | string);
  const classes: number[] = [];
  for (let i = 0; i < n; i++) {
    let c: number;
    if (typeof cls === 'string') {
      const rank = Number(cls.slice(3));
      checkTopRank(rank, k);
      const row = Array.from(values.data.subarray(i * k, (i + 1) * k));
      c = row.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])[rank - 1]![1];
    } else if (typeof cls === 'number') {
      c = cls;
    } else {
      if (cls.length !== n) throw new LumenError('TARGET_RANGE', `${cls.length} targets given for ${n} images`, 2);
      c = cls[i]!;
    }
    if (!Number.isInteger(c) || c < 0 || c >= k) {
      throw new LumenError('TARGET_RANGE', `target class ${c} is out of range: the model has ${k} classes (0…${k - 1}${classNames?.[k - 1] ? `, ${describe(k - 1)}` : ''})`, 2);
    }
    classes.push(c);
    seed.data[i * k + c] = 1;
  }
  return { classes, seed, output };
}

function resolveIndex(spec: IndexTarget, values: Tensor): ResolvedTargets {
  const n = values.dims[0]!;
  const per = values.size / n;
  const list = typeof spec.index === 'number' ? new Array<number>(n).fill(spec.index) : [...spec.index];
  if (list.length !== n) throw new LumenError('TARGET_RANGE', `${list.length} output indices given for ${n} images`, 2);
  const seed = Tensor.zeros(values.dims);
  list.forEach((j, i) => {
    if (!Number.isInteger(j) || j < 0 || j >= per) {
      throw new LumenError('TARGET_RANGE', `output index ${j} is out of range: the output${spec.tensor ? ` '${spec.tensor}'` : ''} has ${per} values per image ([${values.dims.slice(1).join(', ')}], flat index 0…${per - 1})`, 2);
    }
    seed.data[i * per + j] = 1;
  });
  return { classes: list, seed, output: 'logit' };
}

function checkBox(box: TargetBox, height: number, width: number, what: string): void {
  const ok = [box.x0, box.y0, box.x1, box.y1].every(Number.isFinite) && box.x0 >= 0 && box.y0 >= 0 && box.x1 <= width && box.y1 <= height && box.x1 > box.x0 && box.y1 > box.y0;
  if (!ok) throw new LumenError('TARGET_RANGE', `${what} box ${box.x0},${box.y0},${box.x1},${box.y1} is not a non-empty rectangle inside the ${width}×${height} image (x0,y0,x1,y1 with 0 ≤ x0 < x1 ≤ ${width}, 0 ≤ y0 < y1 ≤ ${height})`, 2);
}

function resolveSegmentation(spec: SegmentationTarget, values: Tensor): ResolvedTargets {
  if (values.rank !== 4) throw new LumenError('TARGET_RANGE', `segmentation targets need [N, C, H, W] logits; the output is [${values.dims.join(', ')}]`, 2);
  const [n, c, h, w] = values.dims as [number, number, number, number];
  const cat = spec.category;
  if (!Number.isInteger(cat) || cat < 0 || cat >= c) throw new LumenError('TARGET_RANGE', `segmentation category ${cat} is out of range: the model has ${c} categories (0…${c - 1})`, 2);
  const hw = h * w;
  let fixed: Float32Array | undefined;
  if (spec.mask !== undefined) {
    if (spec.mask.length !== hw) throw new LumenError('TARGET_RANGE', `segmentation mask has ${spec.mask.length} values; the model's output is ${h}×${w} = ${hw} pixels`, 2);
    fixed = Float32Array.from(spec.mask as ArrayLike<number>);
  } else if (spec.box) {
    checkBox(spec.box, h, w, 'segmentation');
    fixed = new Float32Array(hw);
    for (let y = Math.floor(spec.box.y0); y < Math.ceil(spec.box.y1); y++) for (let x = Math.floor(spec.box.x0); x < Math.ceil(spec.box.x1); x++) fixed[y * w + x] = 1;
  }
  const seed = Tensor.zeros(values.dims);
  for (let i = 0; i < n; i++) {
    const mask = fixed ?? winningPixels(values, i, cat);
    if (!fixed && !mask.some((v) => v !== 0)) throw new LumenError('TARGET_RANGE', `segmentation category ${cat} has the largest logit at no pixel of image ${i}: give a mask or a box`, 2);
    seed.data.set(mask, (i * c + cat) * hw);
  }
  return { classes: new Array<number>(n).fill(cat), seed, output: 'logit' };
}

/** The pixels of image i where `category` has the largest logit (ties: the first category), as 0/1. */
export function winningPixels(values: Tensor, i: number, category: number): Float32Array {
  const map = classMap(values, i);
  return Float32Array.from(map, (k) => (k === category ? 1 : 0));
}

/** argmax over the categories of image i of [N, C, H, W] logits (ties: the first category), H·W values. */
export function classMap(values: Tensor, i: number): Int32Array {
  const [, c, h, w] = values.dims as [number, number, number, number];
  const hw = h * w;
  const out = new Int32Array(hw);
  const base = i * c * hw;
  for (let p = 0; p < hw; p++) {
    let best = values.data[base + p]!;
    for (let k = 1; k < c; k++) {
      const v = values.data[base + k * hw + p]!;
      if (v > best) {
        best = v;
        out[p] = k;
      }
    }
  }
  return out;
}

function resolveDetection(spec: DetectionTarget, values: Tensor): ResolvedTargets {
  const head = detectionHead(values.dims, spec.layout);
  if (spec.objectness && head.layout !== 'rows') throw new LumenError('TARGET_RANGE', 'objectness needs a [B, N, 5+K] head (YOLOv5-style rows); this head has no objectness column', 2);
  const n = values.dims[0]!;
  const per = values.size / n;
  if (spec.index !== undefined && (!Number.isInteger(spec.index) || spec.index < 0 || spec.index >= head.anchors)) {
    throw new LumenError('TARGET_RANGE', `detection index ${spec.index} is out of range: the head has ${head.anchors} candidates (0…${head.anchors - 1})`, 2);
  }
  if (spec.class !== undefined && (!Number.isInteger(spec.class) || spec.class < 0 || spec.class >= head.classes)) {
    throw new LumenError('TARGET_RANGE', `detection class ${spec.class} is out of range: the head has ${head.classes} classes (0…${head.classes - 1})`, 2);
  }
  if (spec.index === undefined && !spec.box) throw new LumenError('BAD_OPTION', 'a detection target needs an index or a box', 2);
  const seed = Tensor.zeros(values.dims);
  const classes: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = itemValues(values, i);
    let a = spec.index;
    if (a === undefined) {
      let best = -1;
      for (let j = 0; j < head.anchors; j++) {
        const o = iou(candidateBox(v, head, j), spec.box!);
        if (o > best) {
          best = o;
          a = j;
        }
      }
    }
    const cls = spec.class ?? bestClass(v, head, a!, spec.objectness ?? false).cls;
    seed.data[i * per + head.at(a!, head.firstClass + cls)] = 1;
    classes.push(cls);
  }
  return { classes, seed, output: spec.objectness ? 'objectness' : 'logit' };
}

/** Validate a detection box against the input's size (the head's boxes are in input pixels). */
export function checkDetectionBox(spec: TargetSpec | undefined, input: Tensor, layout: 'NCHW' | 'NHWC'): void {
  if (specKind(spec) !== 'detection') return;
  const box = (spec as DetectionTarget).box;
  if (!box) return;
  const [h, w] = layout === 'NCHW' ? [input.dims[2]!, input.dims[3]!] : [input.dims[1]!, input.dims[2]!];
  checkBox(box, h, w, 'detection');
}

function resolveEmbedding(spec: EmbeddingTarget, values: Tensor): ResolvedTargets {
  const n = values.dims[0]!;
  const per = values.size / n;
  const ref = spec.reference instanceof Tensor ? spec.reference.data : spec.reference;
  if (ref.length !== per) {
    throw new LumenError('INPUT_SHAPE', `embedding reference has ${ref.length} values; the model's embedding${spec.tensor ? ` '${spec.tensor}'` : ''} has ${per} ([${values.dims.slice(1).join(', ')}]). Give a reference image of the input's size or an embedding of that length`, 2);
  }
  let s = 0;
  for (let j = 0; j < per; j++) s += ref[j]! * ref[j]!;
  if (!(s > 0)) throw new LumenError('BAD_OPTION', 'the embedding reference is all zeros (its cosine similarity is undefined)', 2);
  const unit = Float32Array.from(ref as ArrayLike<number>, (v) => v / Math.sqrt(s));
  const seed = Tensor.zeros(values.dims);
  for (let i = 0; i < n; i++) seed.data.set(unit, i * per);
  return { classes: new Array<number>(n).fill(-1), seed, output: 'cosine' };
}

function resolveResolved(spec: PreResolvedTarget, values: Tensor): ResolvedTargets {
  if (spec.seed.size !== values.size || spec.classes.length !== values.dims[0]) {
    throw new LumenError('TARGET_RANGE', `resolved target seed [${spec.seed.dims.join(', ')}] does not fit the output [${values.dims.join(', ')}]`, 2);
  }
  return { classes: [...spec.classes], seed: spec.seed.reshape(values.dims), output: spec.output, ...(spec.tensor ? { tensor: spec.tensor } : {}) };
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** The fields of a gradient request that name a resolved target's scalar (its transform and tensor). */
export function targetRequest(targets: Pick<ResolvedTargets, 'output' | 'tensor'>): { output: TargetTransform; tensor?: string } {
  return { output: targets.output, ...(targets.tensor ? { tensor: targets.tensor } : {}) };
}
