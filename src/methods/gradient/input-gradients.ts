import { computeGradients, gradientsOfCheckedInput, PRECISIONS, type GradientRequest, type GradientResult, type Precision } from '../../autodiff/index.js';
import { throwIfCancelled } from '../../errors.js';
import type { LumenModel } from '../../model.js';
import { castGraphToFloat64, decomposeForFloat64, FLOAT64_SESSION_SETTINGS } from '../../onnx/float64.js';
import { OnnxGraph } from '../../onnx/graph.js';
import { forwardTarget, resolveBatchTargets, rankTarget, seedRows, type ResolvedTargets, type TargetOutput, type TargetSpec } from '../../targets/index.js';
import { Tensor } from '../../tensor.js';
import type { OptionSpec, Timings } from '../types.js';

/** The `precision` option of the gradient methods (the explanation graph run in float32 or in double). */
export const PRECISION_OPTION = {
  name: 'precision',
  type: 'enum',
  choices: PRECISIONS,
  default: 'float32',
  description: 'float64 runs the model and its backward pass in double (reference precision, e.g. to match float64 Captum results; slower, see docs/autodiff.md)',
} as const satisfies OptionSpec;

/** Targets of a gradient request: resolved seeds, or the in-graph top-rank seed of a classifier (no extra forward pass). */
export type GradientTargets =
  | { kind: 'seed'; resolved: ResolvedTargets }
  | { kind: 'rank'; rank: number; output: TargetOutput; tensor?: string };

/** Resolve the target option; 'topK' class targets (and the default, top1) are seeded inside the graph. */
export async function gradientTargets(model: LumenModel, input: Tensor, spec: TargetSpec | undefined, timings?: Timings): Promise<GradientTargets> {
  const rank = await rankTarget(model, input, spec);
  if (rank) return { kind: 'rank', rank: rank.rank, output: rank.output, ...(rank.tensor !== model.logitsName ? { tensor: rank.tensor } : {}) };
  return { kind: 'seed', resolved: await resolveBatchTargets(model, input, spec, timings) };
}

/** The target tensor's values, from the plain model (float32) or from its float64 rewrite (src/onnx/float64.ts, cached per input size). */
export async function forwardLogits(model: LumenModel, input: Tensor, precision: Precision, tensor: string = model.logitsName): Promise<Tensor> {
  if (precision === 'float32') return (await forwardTarget(model, input, tensor)).values;
  model.checkInput(input);
  const feedDims = { [model.inputName]: ['N', ...input.dims.slice(1)] };
  const session = await model.session(`forward:float64:${tensor}:${input.dims.slice(1).join('x')}`, () => {
    const g = new OnnxGraph(decomposeForFloat64(model.proto, feedDims));
    g.setOutputs([tensor]);
    castGraphToFloat64(g);
    return g;
  }, FLOAT64_SESSION_SETTINGS);
  return (await session.run({ [model.inputName]: input }, [tensor]))[tensor]!;
}

/**
 * The gradient run of one chunk of a batch for its GradientTargets: a rank target is seeded inside the graph (each
 * row its own top-k class), resolved targets by their seed rows `row(0)…row(count − 1)`. `request`: what to
 * differentiate and fetch; the target's output transform and tensor are added here. Returns the run and the classes
 * it explained, one per row.
 */
export async function chunkGradients(
  model: LumenModel,
  chunk: Tensor,
  targets: GradientTargets,
  row: (i: number) => number,
  request: Omit<GradientRequest, 'output' | 'tensor'>,
  gradientsOf: typeof computeGradients = computeGradients,
): Promise<{ result: GradientResult; classes: number[] }> {
  if (targets.kind === 'rank') {
    const result = await gradientsOf(model, chunk, { rank: targets.rank }, { ...request, output: targets.output, ...(targets.tensor ? { tensor: targets.tensor } : {}) });
    return { result, classes: result.classes ?? [] };
  }
  const { resolved } = targets;
  const count = chunk.dims[0]!;
  const classes = Array.from({ length: count }, (_, i) => resolved.classes[row(i)]!);
  const result = await gradientsOf(model, chunk, seedRows(resolved, count, row), { ...request, output: resolved.output, ...(resolved.tensor ? { tensor: resolved.tensor } : {}) });
  return { result, classes };
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
  options: {
    ruleSet?: string;
    precision?: Precision;
    /** precision float64: the low float32 half of an input computed in double (GradientRequest.inputResidual). */
    residual?: Tensor;
    batchSize: number;
    /** The input is the explain call's own, validated by registerMethod: its rows are not scanned again. */
    inputChecked?: boolean;
    timings: Timings;
    signal?: AbortSignal | undefined;
    seedRow?: (i: number) => number;
    onBatch?: (done: number, total: number) => void;
  },
): Promise<BatchedGradients> {
  const n = input.dims[0]!;
  const per = input.size / n;
  const grads = new Float32Array(input.size);
  const logitRows: Tensor[] = [];
  const classes: number[] = [];
  const gradientsOf = options.inputChecked ? gradientsOfCheckedInput : computeGradients;
  for (let start = 0; start < n; start += options.batchSize) {
    throwIfCancelled(options.signal);
    const end = Math.min(n, start + options.batchSize);
    const chunk = input.rows(start, end);
    const residual = options.residual ? { inputResidual: options.residual.rows(start, end) } : {};
    const req = { wrt: [model.inputName], ...(options.ruleSet ? { ruleSet: options.ruleSet } : {}), ...(options.precision ? { precision: options.precision } : {}), ...residual };
    const rowOf = (i: number): number => (options.seedRow ? options.seedRow(start + i) : start + i);
    const { result: r, classes: explained } = await chunkGradients(model, chunk, targets, rowOf, req, gradientsOf);
    classes.push(...explained);
    options.timings.compileMs += r.compileMs;
    options.timings.runMs += r.runMs;
    grads.set(r.gradients[model.inputName]!.data, start * per);
    logitRows.push(r.logits);
    options.onBatch?.(end, n);
  }
  return { gradients: new Tensor(grads, input.dims), logits: Tensor.concat(logitRows), classes };
}

export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
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
