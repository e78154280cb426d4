import { LumenError } from '../errors.js';
import type { Tensor } from '../tensor.js';

/** Raw logit or softmax probability of a class (pytorch-grad-cam's ClassifierOutputTarget / Captum's target=k). */
export type TargetOutput = 'logit' | 'probability';

/**
 * What the resolved seed weights: the explained tensor itself ('logit'), its softmax over the class axis, its
 * L2-normalized rows ('cosine': embedding similarity), or its rows times their objectness column ('objectness':
 * YOLO [B, N, 5+K] heads). The explained scalar of an image is always Σ seed ⊙ transform(tensor).
 */
export type TargetTransform = TargetOutput | 'cosine' | 'objectness';

/**
 * An axis-aligned rectangle in pixels of the image (segmentation) or of the input (detection, the localization
 * metrics' ground truth: `Box` there): x0, y0 inclusive, x1, y1 exclusive.
 */
export interface TargetBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A box's text form, `x0,y0,x1,y1` (four finite numbers), as --target's box= and --boxes write it; undefined if it is not. */
export function boxFromText(text: string): TargetBox | undefined {
  const v = text.split(',').map(Number);
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) return undefined;
  return { x0: v[0]!, y0: v[1]!, x1: v[2]!, y1: v[3]! };
}

/** Fields every object spec may carry. */
interface OnTensor {
  /** The model output (or any tensor) the target reads; default: the classifier logits (output 0). */
  tensor?: string;
}

export interface ClassTarget extends OnTensor {
  class: number | readonly number[] | `top${number}`;
  output?: TargetOutput;
}

export interface WeightsTarget extends OnTensor {
  weights: readonly number[];
  output?: TargetOutput;
}

/** One entry of an output of any shape (regression values, a second head): its flat index within one image. */
export interface IndexTarget extends OnTensor {
  kind: 'index';
  index: number | readonly number[];
}

/**
 * Semantic segmentation ([N, C, H, W] logits): Σ_pixels logits[category] · mask. The mask is explicit (H·W values of
 * the output's resolution), a box, or (neither given) the pixels where `category` has the largest logit.
 */
export interface SegmentationTarget extends OnTensor {
  kind: 'segmentation';
  category: number;
  mask?: ArrayLike<number>;
  box?: TargetBox;
}

/**
 * One detection of a raw (pre-NMS) YOLO-style head: [B, 4+K, N] ('channels', YOLOv8: cx, cy, w, h, K class scores)
 * or [B, N, 5+K] ('rows', YOLOv5: cx, cy, w, h, objectness, K class scores). Picked by `index`, or as the candidate
 * whose box best overlaps `box` (IoU); its `class` score (default: its best class), times objectness if asked.
 */
export interface DetectionTarget extends OnTensor {
  kind: 'detection';
  index?: number;
  box?: TargetBox;
  class?: number;
  objectness?: boolean;
  layout?: 'channels' | 'rows';
}

/**
 * Cosine similarity of the image's embedding to a reference: a reference image (a tensor shaped like one model input,
 * [1, …]) whose embedding the model computes, or the reference embedding itself (its values).
 */
export interface EmbeddingTarget extends OnTensor {
  kind: 'embedding';
  reference: Tensor | ArrayLike<number>;
}

/** Targets resolved already (e.g. for the noise tunnel's repeated images): used as they are. */
export interface PreResolvedTarget {
  kind: 'resolved';
  classes: readonly number[];
  seed: Tensor;
  output: TargetTransform;
  tensor?: string;
}

/**
 * What to explain. A class index (same for every image), one index per image, the k-th most likely class ('top1',
 * 'top2', …), a weighted combination of the outputs, or one of the object kinds above.
 */
export type TargetSpec =
  | number
  | readonly number[]
  | `top${number}`
  | ClassTarget
  | WeightsTarget
  | IndexTarget
  | SegmentationTarget
  | DetectionTarget
  | EmbeddingTarget
  | PreResolvedTarget;

/** Files a CLI target string names (mask PNG/.npy, reference image): the caller (Node) loads them. */
export interface TargetFileLoader {
  /** A mask of H·W values (non-zero = inside) and its size. */
  mask(path: string): { data: ArrayLike<number>; height: number; width: number };
  /** A reference image, preprocessed as the model's input [1, …]. */
  image(path: string): Tensor;
}

/**
 * The target string syntax parseTargetSpec reads, one entry per form (its text, what it targets): the one place it
 * is written; the parse error, the CLI's --target help and the web app's hint are built from it.
 */
export const TARGET_SYNTAX: readonly { readonly form: string; readonly meaning: string }[] = [
  { form: '3', meaning: 'a class index' },
  { form: 'top1/top2/…', meaning: 'the k-th predicted class' },
  { form: '3,5', meaning: 'a class per image' },
  { form: 'w:<weights>', meaning: 'weighted classes' },
  { form: 'out:<index>', meaning: 'any output entry, e.g. a regression value' },
  { form: 'seg:<category>[:mask=<png|npy>|:box=x0,y0,x1,y1]', meaning: 'segmentation' },
  { form: 'det:<index>|det:box=x0,y0,x1,y1[:class=k][:obj]', meaning: 'raw YOLO head' },
  { form: 'embed:<reference image>', meaning: 'cosine similarity of embeddings' },
];

/** The syntax as one line: each form with its meaning, and the ':prob' suffix of class targets. */
export const TARGET_SYNTAX_TEXT = `${TARGET_SYNTAX.map((s) => `${s.form} (${s.meaning})`).join(', ')}; a class target (3, top1, 3,5, w:…) takes the suffix :prob for the probability`;

const USAGE = `expected ${TARGET_SYNTAX_TEXT}`;

/**
 * Parse a CLI target string: '3', 'top1', '3,5' (one per image), 'w:0.5,0,0.5…' (each with ':prob' for the
 * probability), 'out:<i>', 'seg:<c>[:mask=file|:box=x0,y0,x1,y1]', 'det:<n>|det:box=…[:class=k][:obj]',
 * 'embed:<file>'. `tensor` (the CLI's --output) names the model output the target reads; `files` loads named files.
 */
export function parseTargetSpec(text: string, tensor?: string, files?: TargetFileLoader): TargetSpec {
  const t0 = text.trim();
  const on = tensor ? { tensor } : {};
  const bad = (why: string): LumenError => new LumenError('BAD_OPTION', `--target ${text}: ${why}`, 2);
  const needFiles = (): TargetFileLoader => {
    if (!files) throw bad('files can only be named from the command line (the API takes the mask or the tensor itself)');
    return files;
  };
  const int = (s: string, what: string): number => {
    if (!/^\d+$/.test(s.trim())) throw bad(`${what} must be a non-negative integer, got '${s}'`);
    return Number(s);
  };
  const box = (s: string): TargetBox => {
    const b = boxFromText(s);
    if (!b) throw bad(`box must be x0,y0,x1,y1 (4 numbers), got '${s}'`);
    return b;
  };
  if (t0.startsWith('seg:')) {
    const [cat, ...mods] = t0.slice(4).split(':');
    const spec: SegmentationTarget = { kind: 'segmentation', category: int(cat ?? '', 'the category'), ...on };
    for (const m of mods) {
      if (m.startsWith('mask=')) spec.mask = needFiles().mask(m.slice(5)).data;
      else if (m.startsWith('box=')) spec.box = box(m.slice(4));
      else throw bad(`unknown segmentation modifier '${m}' (mask=<file> or box=x0,y0,x1,y1)`);
    }
    return spec;
  }
  if (t0.startsWith('det:')) {
    const [first, ...mods] = t0.slice(4).split(':');
    const spec: DetectionTarget = { kind: 'detection', ...on };
    if (first!.startsWith('box=')) spec.box = box(first!.slice(4));
    else spec.index = int(first ?? '', 'the detection index');
    for (const m of mods) {
      if (m.startsWith('class=')) spec.class = int(m.slice(6), 'the class');
      else if (m === 'obj') spec.objectness = true;
      else if (m === 'rows' || m === 'channels') spec.layout = m;
      else throw bad(`unknown detection modifier '${m}' (class=<k>, obj, rows or channels)`);
    }
    return spec;
  }
  if (t0.startsWith('embed:')) return { kind: 'embedding', reference: needFiles().image(t0.slice(6)), ...on };
  if (t0.startsWith('out:')) {
    const parts = t0.slice(4).split(',').map((p) => int(p, 'the output index'));
    return { kind: 'index', index: parts.length === 1 ? parts[0]! : parts, ...on };
  }
  let t = t0;
  let output: TargetOutput = 'logit';
  for (const suffix of [':prob', ':probability']) {
    if (t.endsWith(suffix)) {
      output = 'probability';
      t = t.slice(0, -suffix.length);
    }
  }
  if (t.startsWith('w:')) {
    const weights = t.slice(2).split(',').map(Number);
    if (weights.some((w) => !Number.isFinite(w))) throw bad('weights must be numbers');
    return { weights, output, ...on };
  }
  if (/^top\d+$/.test(t)) return { class: t as `top${number}`, output, ...on };
  const parts = t.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw bad(USAGE);
  const nums = parts.map(Number);
  return { class: nums.length === 1 ? nums[0]! : nums, output, ...on };
}

/** The object form of a spec's kind ('class' for numbers, lists and top-k). */
export function specKind(spec: TargetSpec | undefined): 'class' | 'weights' | 'index' | 'segmentation' | 'detection' | 'embedding' | 'resolved' {
  if (spec === undefined || typeof spec === 'number' || typeof spec === 'string' || Array.isArray(spec)) return 'class';
  const s = spec as Exclude<TargetSpec, number | string | readonly number[]>;
  if ('kind' in s) return s.kind;
  return 'weights' in s ? 'weights' : 'class';
}

/** The tensor a spec names, if any. */
export function specTensor(spec: TargetSpec | undefined): string | undefined {
  return typeof spec === 'object' && spec !== null && !Array.isArray(spec) && 'tensor' in spec ? (spec as OnTensor).tensor : undefined;
}

/** The top-k rank of a class spec ('topK' or the default top1), else undefined. */
export function specRank(spec: TargetSpec | undefined): { rank: number; output: TargetOutput } | undefined {
  if (spec === undefined) return { rank: 1, output: 'logit' };
  if (typeof spec === 'string' && /^top\d+$/.test(spec)) return { rank: Number(spec.slice(3)), output: 'logit' };
  if (specKind(spec) === 'class' && typeof spec === 'object' && !Array.isArray(spec)) {
    const c = (spec as ClassTarget).class;
    if (typeof c === 'string' && /^top\d+$/.test(c)) return { rank: Number(c.slice(3)), output: (spec as ClassTarget).output ?? 'logit' };
  }
  return undefined;
}
