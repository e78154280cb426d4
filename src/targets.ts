import { LumenError } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * What to explain. A class index (same for every image), one index per image, the k-th most likely class
 * ('top1', 'top2', …), or a weighted combination of the outputs. `output: 'probability'` explains the softmax
 * probability instead of the raw logit (the default, as pytorch-grad-cam's ClassifierOutputTarget and Captum's target=k).
 */
export type TargetSpec =
  | number
  | readonly number[]
  | `top${number}`
  | { class: number | readonly number[] | `top${number}`; output?: TargetOutput }
  | { weights: readonly number[]; output?: TargetOutput };

export type TargetOutput = 'logit' | 'probability';

export interface ResolvedTargets {
  /** Class explained for each batch item (-1 for a weighted combination). */
  classes: number[];
  /** [N, K] weights of the outputs whose sum is the explained scalar, per batch item. */
  seed: Tensor;
  output: TargetOutput;
}

/** Parse a CLI target string: '3', 'top1', 'top2', '3,5' (one per image), 'w:0.5,0,0.5…', with ':prob' suffix. */
export function parseTargetSpec(text: string): TargetSpec {
  let t = text.trim();
  let output: TargetOutput = 'logit';
  for (const suffix of [':prob', ':probability']) {
    if (t.endsWith(suffix)) {
      output = 'probability';
      t = t.slice(0, -suffix.length);
    }
  }
  if (t.startsWith('w:')) {
    const weights = t.slice(2).split(',').map(Number);
    if (weights.some((w) => !Number.isFinite(w))) throw new LumenError('BAD_OPTION', `--target ${text}: weights must be numbers`, 2);
    return { weights, output };
  }
  if (/^top\d+$/.test(t)) return { class: t as `top${number}`, output };
  const parts = t.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) {
    throw new LumenError('BAD_OPTION', `--target ${text}: expected a class index (e.g. 3), top1/top2/…, a list (3,5), or w:<weights>`, 2);
  }
  const nums = parts.map(Number);
  return { class: nums.length === 1 ? nums[0]! : nums, output };
}

/** Resolve a target against the model's logits [N, K] for the batch. */
export function resolveTargets(spec: TargetSpec | undefined, logits: Tensor, classNames?: readonly string[]): ResolvedTargets {
  const [n, k] = [logits.dims[0]!, logits.dims[1]!];
  const s = spec ?? 'top1';
  const output: TargetOutput = typeof s === 'object' && !Array.isArray(s) && 'output' in s && s.output ? s.output : 'logit';
  const seed = Tensor.zeros([n, k]);
  const describe = (c: number): string => (classNames?.[c] ? `${c} (${classNames[c]})` : String(c));

  if (typeof s === 'object' && !Array.isArray(s) && 'weights' in s) {
    if (s.weights.length !== k) throw new LumenError('TARGET_RANGE', `target weights have ${s.weights.length} entries but the model has ${k} outputs`, 2);
    for (let i = 0; i < n; i++) seed.data.set(s.weights, i * k);
    return { classes: new Array<number>(n).fill(-1), seed, output };
  }
  const cls = typeof s === 'object' && !Array.isArray(s) && 'class' in s ? s.class : (s as number | readonly number[] | `top${number}`);
  const classes: number[] = [];
  for (let i = 0; i < n; i++) {
    let c: number;
    if (typeof cls === 'string') {
      const rank = Number(cls.slice(3));
      if (!(rank >= 1 && rank <= k)) throw new LumenError('TARGET_RANGE', `target ${cls}: the model has ${k} classes (top1…top${k})`, 2);
      const row = Array.from(logits.data.subarray(i * k, (i + 1) * k));
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

export function softmaxRows(logits: Tensor): Tensor {
  const [n, k] = [logits.dims[0]!, logits.dims[1]!];
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, logits.data[i * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(logits.data[i * k + j]! - m);
    for (let j = 0; j < k; j++) out[i * k + j] = Math.exp(logits.data[i * k + j]! - m) / s;
  }
  return new Tensor(out, [n, k]);
}
