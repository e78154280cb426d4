import { computeGradients, type GradientResult, type Precision } from '../../autodiff/index.js';
import { LumenError } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { castGraphToFloat64, decomposeForFloat64, FLOAT64_SESSION_SETTINGS } from '../../onnx/float64.js';
import { OnnxGraph } from '../../onnx/graph.js';
import { inferShapes } from '../../onnx/shapes.js';
import { resolveTargets, type ResolvedTargets, type TargetOutput, type TargetSpec } from '../../targets.js';
import { Tensor } from '../../tensor.js';
import type { ExplainOptions, OptionSpec, Timings } from '../types.js';

export const PRECISIONS = ['float32', 'float64'] as const;

/** The `precision` option of the gradient methods (the explanation graph run in float32 or in double). */
export const PRECISION_OPTION: OptionSpec = {
  name: 'precision',
  type: 'enum',
  choices: PRECISIONS,
  default: 'float32',
  description: 'float64 runs the model and its backward pass in double (reference precision, e.g. to match float64 Captum results; slower, see docs/autodiff.md)',
};

export function precisionOption(options: ExplainOptions): Precision {
  return enumOption(options, 'precision', PRECISIONS, 'float32');
}

/** Targets of a gradient request: an explicit [N,K] seed, or the in-graph top-rank seed (no extra forward pass). */
export type GradientTargets =
  | { kind: 'seed'; resolved: ResolvedTargets }
  | { kind: 'rank'; rank: number; output: TargetOutput };

/** Parse the target option; 'topK' targets (and the default, top1) are seeded inside the graph. */
export function gradientTargets(model: LumenModel, input: Tensor, spec: TargetSpec | undefined): GradientTargets {
  const s = spec ?? 'top1';
  const output: TargetOutput = typeof s === 'object' && !Array.isArray(s) && 'output' in s && s.output ? s.output : 'logit';
  const cls = typeof s === 'object' && !Array.isArray(s) && 'class' in s ? s.class : s;
  if (typeof cls === 'string' && /^top\d+$/.test(cls)) {
    const rank = Number(cls.slice(3));
    const k = classCount(model, input);
    if (!(rank >= 1 && rank <= k)) throw new LumenError('TARGET_RANGE', `target ${cls}: the model has ${k} classes (top1…top${k})`, 2);
    return { kind: 'rank', rank, output };
  }
  return { kind: 'seed', resolved: resolveTargets(s, Tensor.zeros([input.dims[0]!, classCount(model, input)]), model.classNames) };
}

/** Resolve targets to explicit classes/seeds (one forward pass when they depend on the prediction). */
export async function resolvedTargets(model: LumenModel, input: Tensor, spec: TargetSpec | undefined, timings: Timings): Promise<ResolvedTargets> {
  const t = gradientTargets(model, input, spec);
  if (t.kind === 'seed') return t.resolved;
  const t0 = now();
  const { logits } = await model.forward(input);
  timings.runMs += now() - t0;
  return resolveTargets(spec, logits, model.classNames);
}

/** The logits, from the plain model (float32) or from its float64 rewrite (src/onnx/float64.ts, cached per input size). */
export async function forwardLogits(model: LumenModel, input: Tensor, precision: Precision = 'float32'): Promise<Tensor> {
  if (precision === 'float32') return (await model.forward(input)).logits;
  model.checkInput(input);
  const feedDims = { [model.inputName]: ['N', ...input.dims.slice(1)] };
  const session = await model.session(`forward:float64:${input.dims.slice(1).join('x')}`, () => {
    const g = new OnnxGraph(decomposeForFloat64(model.proto, feedDims));
    g.setOutputs([model.logitsName]);
    castGraphToFloat64(g);
    return g;
  }, FLOAT64_SESSION_SETTINGS);
  return (await session.run({ [model.inputName]: input }, [model.logitsName]))[model.logitsName]!;
}

const classCounts = new WeakMap<LumenModel, number>();

/** Number of classes, from static shape inference of the logits (no run). */
export function classCount(model: LumenModel, input: Tensor): number {
  let k = classCounts.get(model);
  if (k === undefined) {
    const shapes = inferShapes(model.graph, { [model.inputName]: ['N', ...input.dims.slice(1)] });
    const dims = shapes.get(model.logitsName);
    const last = dims?.[dims.length - 1];
    if (typeof last !== 'number') throw new LumenError('UNSUPPORTED_MODEL', `${model.source}: the number of classes of '${model.logitsName}' is not known statically`);
    k = last;
    classCounts.set(model, k);
  }
  return k;
}

export interface BatchedGradients {
  /** d score / d input, [N, …] like the input. */
  gradients: Tensor;
  logits: Tensor;
  classes: number[];
}

/**
 * Input gradients of a (possibly large) batch, `batchSize` items per run. With a rank target every row explains
 * its own top-k class; with a seed, `seedRow(i)` gives the seed row of batch item i.
 */
export async function inputGradients(
  model: LumenModel,
  input: Tensor,
  targets: GradientTargets,
  options: { ruleSet?: string; precision?: Precision; batchSize: number; timings: Timings; signal?: AbortSignal | undefined; seedRow?: (i: number) => number; onBatch?: (done: number, total: number) => void },
): Promise<BatchedGradients> {
  const n = input.dims[0]!;
  const per = input.size / n;
  const grads = new Float32Array(input.size);
  const logitRows: Tensor[] = [];
  const classes: number[] = [];
  for (let start = 0; start < n; start += options.batchSize) {
    if (options.signal?.aborted) throw new LumenError('CANCELLED', 'explanation cancelled');
    const end = Math.min(n, start + options.batchSize);
    const chunk = new Tensor(input.data.subarray(start * per, end * per), [end - start, ...input.dims.slice(1)]);
    let r: GradientResult;
    const req = { wrt: [model.inputName], ...(options.ruleSet ? { ruleSet: options.ruleSet } : {}), ...(options.precision ? { precision: options.precision } : {}) };
    if (targets.kind === 'rank') {
      r = await computeGradients(model, chunk, { rank: targets.rank }, { ...req, output: targets.output });
      classes.push(...(r.classes ?? []));
    } else {
      const seed = targets.resolved.seed;
      const k = seed.dims[1]!;
      const rowsSeed = new Float32Array((end - start) * k);
      for (let i = start; i < end; i++) {
        const src = options.seedRow ? options.seedRow(i) : i;
        rowsSeed.set(seed.data.subarray(src * k, (src + 1) * k), (i - start) * k);
        classes.push(targets.resolved.classes[src]!);
      }
      r = await computeGradients(model, chunk, new Tensor(rowsSeed, [end - start, k]), { ...req, output: targets.resolved.output });
    }
    options.timings.compileMs += r.compileMs;
    options.timings.runMs += r.runMs;
    grads.set(r.gradients[model.inputName]!.data, start * per);
    logitRows.push(r.logits);
    options.onBatch?.(end, n);
  }
  return { gradients: new Tensor(grads, input.dims), logits: Tensor.concat(logitRows), classes };
}

/** The explained score of each row: seed-weighted logits or probabilities. */
export function targetScores(logits: Tensor, seed: Tensor, output: TargetOutput, seedRow: (i: number) => number = (i) => i): number[] {
  const [n, k] = [logits.dims[0]!, logits.dims[1]!];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(logits.data.subarray(i * k, (i + 1) * k));
    let values = row;
    if (output === 'probability') {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      values = e.map((v) => v / s);
    }
    const src = seedRow(i);
    let s = 0;
    for (let j = 0; j < k; j++) s += seed.data[src * k + j]! * values[j]!;
    scores.push(s);
  }
  return scores;
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export function numberOption(options: ExplainOptions, name: string, fallback: number, check: (v: number) => boolean = Number.isFinite, expected = 'a number'): number {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !check(n)) throw new LumenError('BAD_OPTION', `option ${name}=${String(v)}: expected ${expected}`, 2);
  return n;
}

export function intOption(options: ExplainOptions, name: string, fallback: number, min = 1): number {
  return numberOption(options, name, fallback, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
}

export function boolOption(options: ExplainOptions, name: string, fallback: boolean): boolean {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new LumenError('BAD_OPTION', `option ${name}=${String(v)}: expected true or false`, 2);
}

export function enumOption<T extends string>(options: ExplainOptions, name: string, choices: readonly T[], fallback: T): T {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !choices.includes(v as T)) throw new LumenError('BAD_OPTION', `option ${name}=${String(v)}: expected one of ${choices.join(', ')}`, 2);
  return v as T;
}

/** Repeat each item of a batch `times` times, item-major: [x0, x0, …, x1, x1, …]. */
export function repeatItems(input: Tensor, times: number): Tensor {
  const n = input.dims[0]!;
  const per = input.size / n;
  const out = new Float32Array(input.size * times);
  for (let i = 0; i < n; i++) for (let t = 0; t < times; t++) out.set(input.data.subarray(i * per, (i + 1) * per), (i * times + t) * per);
  return new Tensor(out, [n * times, ...input.dims.slice(1)]);
}

/** Mean over groups of `times` consecutive items. */
export function meanOfGroups(t: Tensor, times: number, map: (v: number) => number = (v) => v): Tensor {
  const n = t.dims[0]! / times;
  const per = t.size / t.dims[0]!;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < per; p++) {
      let s = 0;
      for (let k = 0; k < times; k++) s += map(t.data[(i * times + k) * per + p]!);
      out[i * per + p] = s / times;
    }
  }
  return new Tensor(out, [n, ...t.dims.slice(1)]);
}
