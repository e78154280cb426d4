import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { Tensor } from '../../src/tensor.js';
import { OnnxGraph, type Dim } from '../../src/onnx/graph.js';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, type ModelProto } from '../../src/onnx/proto.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { buildBackwardGraph, type BackwardOptions } from '../../src/autodiff/index.js';
import { mulberry32 } from '../../src/datasets/shapes.js';

/** Minimal .npy reader for the float32 conformance arrays (little-endian '<f4', C order). */
export function readNpy(path: string): Tensor {
  const buf = readFileSync(path);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + headerLen).toString('latin1');
  if (!header.includes("'<f4'") || header.includes("'fortran_order': True")) throw new Error(`${path}: only C-order float32 npy is supported`);
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const start = 10 + headerLen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
  return new Tensor(data, shape);
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** max|a − b| / max|b| */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m / maxAbs(b);
}

/** Seeded PRNG for test data: the project's mulberry32. */
export const rng = mulberry32;

export function randn(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Values with pairwise gaps ≥ `gap` and |v| ≥ gap/2 (a shuffled grid): finite differences with h < gap/2 never cross
 * a ReLU kink or change a max-pool winner.
 */
export function separatedValues(n: number, r: () => number, gap = 0.05): Float32Array {
  const vals = Array.from({ length: n }, (_, i) => (i - n / 2 + 0.5) * gap + (r() - 0.5) * gap * 0.2);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [vals[i], vals[j]] = [vals[j]!, vals[i]!];
  }
  return Float32Array.from(vals);
}

/** An empty model with the given opset and float inputs; add nodes with OnnxGraph, then call `g.setOutputs`. */
export function emptyModel(inputs: Record<string, readonly Dim[]>, opset = 17): OnnxGraph {
  const model: ModelProto = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    graph: create(GraphProtoSchema, { name: 'test' }),
  });
  const g = new OnnxGraph(model);
  for (const [name, dims] of Object.entries(inputs)) g.addInput(name, dims);
  return g;
}

// one intra-op thread: the test machine is shared and ORT thread pools spin badly under contention
const runtime = nodeRuntime({ threads: 1 });

export async function runModel(g: OnnxGraph | ModelProto, feeds: Record<string, Tensor>, fetches: string[]): Promise<Record<string, Tensor>> {
  const bytes = g instanceof OnnxGraph ? g.toBytes() : new OnnxGraph(g).toBytes();
  const s = await runtime.createSession(bytes);
  try {
    return await s.run(feeds, fetches);
  } finally {
    await s.dispose();
  }
}

export interface FdCheck {
  /** Largest |analytic − numeric| over all checked coordinates, divided by max|numeric|. */
  error: number;
  maxGrad: number;
  /** Per-coordinate errors (same normalisation), for quantiles on nets with ReLU kinks. */
  errors: number[];
}

export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/**
 * Check the backward graph of `target` (seeded with fixed random weights w) against central finite differences of
 * f(inputs) = Σ w ⊙ target, coordinate by coordinate, f summed in float64 from ORT's float32 outputs.
 */
export async function finiteDifferenceCheck(
  g: OnnxGraph,
  target: string,
  inputs: Record<string, Tensor>,
  wrt: readonly string[],
  options: { h?: number; seed?: number; ruleSet?: string; maxCoords?: number; feedDims?: Record<string, Dim[]> } = {},
): Promise<FdCheck> {
  const h = options.h ?? 1e-2;
  const r = rng(options.seed ?? 7);
  // the dims the backward graph is built for (symbolic ones allowed); default: the inputs' own dims
  const feedDims: Record<string, Dim[]> = { ...options.feedDims };
  for (const [k, v] of Object.entries(inputs)) feedDims[k] ??= [...v.dims];
  const probe = await runModel(withOutputs(g, [target]), inputs, [target]);
  const out = probe[target]!;
  const w = new Tensor(Float32Array.from({ length: out.size }, () => randn(r)), out.dims);
  const opts: BackwardOptions = { target, wrt, feedDims, ...(options.ruleSet ? { ruleSet: options.ruleSet } : {}) };
  const back = buildBackwardGraph(g.model, opts);
  const res = await runModel(back.graph, { ...inputs, [back.seedInput!]: w }, Object.values(back.gradients));
  const fwd = withOutputs(g, [target]);
  const bytes = fwd.toBytes();
  const session = await runtime.createSession(bytes);
  const f = async (feeds: Record<string, Tensor>): Promise<number> => {
    const y = (await session.run(feeds, [target]))[target]!;
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i]! * w.data[i]!;
    return s;
  };
  let worst = 0;
  let maxGrad = 0;
  const errors: number[] = [];
  try {
    for (const name of wrt) {
      const analytic = res[back.gradients[name]!]!;
      const x = inputs[name]!;
      if (analytic.size !== x.size) throw new Error(`gradient of ${name} has ${analytic.size} values, input ${x.size}`);
      const coords = Array.from({ length: x.size }, (_, i) => i);
      const limit = options.maxCoords ?? 400;
      const picked = coords.length <= limit ? coords : coords.filter(() => r() < limit / coords.length);
      const numeric: number[] = [];
      const ours: number[] = [];
      for (const i of picked) {
        const plus = x.clone();
        const minus = x.clone();
        plus.data[i] = x.data[i]! + h;
        minus.data[i] = x.data[i]! - h;
        const fp = await f({ ...inputs, [name]: plus });
        const fm = await f({ ...inputs, [name]: minus });
        numeric.push((fp - fm) / (2 * h));
        ours.push(analytic.data[i]!);
      }
      const scale = Math.max(1e-6, maxAbs(numeric));
      maxGrad = Math.max(maxGrad, scale);
      for (let k = 0; k < numeric.length; k++) {
        const e = Math.abs(numeric[k]! - ours[k]!) / scale;
        errors.push(e);
        worst = Math.max(worst, e);
      }
    }
  } finally {
    await session.dispose();
  }
  return { error: worst, maxGrad, errors };
}

function withOutputs(g: OnnxGraph, outputs: string[]): OnnxGraph {
  const c = OnnxGraph.copyOf(g.model);
  c.setOutputs(outputs);
  return c;
}

export function tensor(values: ArrayLike<number>, dims: readonly number[]): Tensor {
  return new Tensor(Float32Array.from(values), dims);
}

export function randomTensor(dims: readonly number[], r: () => number, scale = 1): Tensor {
  return new Tensor(Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => randn(r) * scale), dims);
}

/**
 * Directional check for whole models: for random directions v, compare Σ ∇f·v with (f(x+hv) − f(x−hv))/2h
 * (f = Σ w ⊙ target, w random). Returns max |analytic − numeric| / max |analytic| over the directions.
 */
export async function directionalCheck(
  g: OnnxGraph,
  target: string,
  inputs: Record<string, Tensor>,
  wrt: string,
  options: { h?: number; directions?: number; seed?: number } = {},
): Promise<{ error: number; scale: number }> {
  const h = options.h ?? 1e-2;
  const r = rng(options.seed ?? 3);
  const feedDims: Record<string, Dim[]> = {};
  for (const [k, v] of Object.entries(inputs)) feedDims[k] = ['N', ...v.dims.slice(1)];
  const fwd = withOutputs(g, [target]);
  const session = await runtime.createSession(fwd.toBytes());
  try {
    const y0 = (await session.run(inputs, [target]))[target]!;
    const w = new Tensor(Float32Array.from({ length: y0.size }, () => randn(r)), y0.dims);
    const back = buildBackwardGraph(g.model, { target, wrt: [wrt], feedDims });
    const grad = (await runModel(back.graph, { ...inputs, [back.seedInput!]: w }, [back.gradients[wrt]!]))[back.gradients[wrt]!]!;
    const f = async (x: Tensor): Promise<number> => {
      const y = (await session.run({ ...inputs, [wrt]: x }, [target]))[target]!;
      let s = 0;
      for (let i = 0; i < y.size; i++) s += y.data[i]! * w.data[i]!;
      return s;
    };
    const x = inputs[wrt]!;
    let worst = 0;
    let scale = 0;
    const pairs: [number, number][] = [];
    for (let d = 0; d < (options.directions ?? 6); d++) {
      const v = Float64Array.from({ length: x.size }, () => randn(r));
      let analytic = 0;
      for (let i = 0; i < x.size; i++) analytic += grad.data[i]! * v[i]!;
      const plus = new Tensor(Float32Array.from(x.data, (xi, i) => xi + h * v[i]!), x.dims);
      const minus = new Tensor(Float32Array.from(x.data, (xi, i) => xi - h * v[i]!), x.dims);
      const numeric = ((await f(plus)) - (await f(minus))) / (2 * h);
      pairs.push([analytic, numeric]);
      scale = Math.max(scale, Math.abs(analytic));
    }
    for (const [a, n] of pairs) worst = Math.max(worst, Math.abs(a - n));
    return { error: worst / scale, scale };
  } finally {
    await session.dispose();
  }
}

/** One gradient-rule test: a graph built on `inputs`, checked against central finite differences. */
export interface RuleCase {
  name: string;
  inputs: Record<string, Tensor>;
  /** Builds the graph from the inputs and returns the target tensor. */
  build: (g: OnnxGraph) => string;
  wrt?: string[];
  opset?: number;
  h?: number;
  /** Dims the backward graph is built for (symbolic batch where exporters have one); default the inputs' dims. */
  feedDims?: Record<string, Dim[]>;
}

/** Tolerance on max|analytic − numeric| / max|numeric|: float32 central differences with h = 1e-2 stay far below it. */
const RULE_TOL = 3e-3;

export async function checkRuleCase(c: RuleCase): Promise<void> {
  const dims: Record<string, Dim[]> = {};
  for (const [k, v] of Object.entries(c.inputs)) dims[k] = [...v.dims];
  const g = emptyModel(dims, c.opset ?? 17);
  const target = c.build(g);
  g.setOutputs([target]);
  const wrt = c.wrt ?? Object.keys(c.inputs);
  const res = await finiteDifferenceCheck(g, target, c.inputs, wrt, { h: c.h ?? 1e-2, ...(c.feedDims ? { feedDims: c.feedDims } : {}) });
  assert.ok(res.maxGrad > 1e-3, `${c.name}: gradient is (near) zero, the check would be vacuous`);
  assert.ok(res.error < RULE_TOL, `${c.name}: gradient error ${res.error.toExponential(2)} (max |grad| ${res.maxGrad.toExponential(2)})`);
}
