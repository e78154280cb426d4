import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { LumenModel } from '../../../src/model.js';
import { OnnxGraph, type Dim } from '../../../src/onnx/graph.js';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, type ModelProto } from '../../../src/onnx/proto.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import { mulberry32 } from '../../../src/datasets/shapes.js';
import type { Explanation } from '../../../src/methods/types.js';
import { readNpy, relErr } from '../../helpers/conformance.js';

export const ROOT = 'conformance';

export interface Reference {
  model: string;
  input: string;
  input_file: string;
  target: number;
  method: string;
  file: string;
  convergence_delta?: number;
}

interface Manifest {
  references: Reference[];
  failures: { model: string; method: string }[];
}

export const manifest = JSON.parse(readFileSync(`${ROOT}/manifest.json`, 'utf8')) as Manifest;

export function referencesOf(method: string): Reference[] {
  return manifest.references.filter((r) => r.method === method);
}

export { readNpy, model as conformanceModel, relErr } from '../../helpers/conformance.js';

/**
 * `e` equals Captum's reference attribution (max|ours − ref| / max|ref| < 1e-3), and its convergence delta equals
 * Captum's (not 0 for Captum's rules on these models) within 1e-3 · max(1, |delta|).
 */
export function assertMatchesCaptum(e: Explanation, ref: Reference): void {
  const expected = readNpy(ref.file);
  assert.deepEqual(e.attribution.dims, expected.dims);
  const err = relErr(e.attribution.data, expected.data);
  assert.ok(err < 1e-3, `max|ours − ref| / max|ref| = ${err.toExponential(2)}`);
  const delta = (e.extras.convergenceDelta as number[])[0]!;
  assert.ok(Math.abs(delta - ref.convergence_delta!) < 1e-3 * Math.max(1, Math.abs(ref.convergence_delta!)), `delta ${delta} vs Captum ${ref.convergence_delta}`);
}

export function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/** An empty opset-17 model with one float input; add nodes with OnnxGraph, then `g.setOutputs`. */
export function emptyGraph(input: readonly Dim[], opset = 17): OnnxGraph {
  const model: ModelProto = create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opset) })],
    graph: create(GraphProtoSchema, { name: 'test' }),
  });
  const g = new OnnxGraph(model);
  g.addInput('input', input);
  return g;
}

// one intra-op thread: the machine is shared
const runtime = nodeRuntime({ threads: 1 });

export function modelOf(g: OnnxGraph): LumenModel {
  return LumenModel.fromBytes(g.toBytes(), { runtime, source: 'test-model' });
}

/** Seeded PRNG for test data: the project's mulberry32. */
export const rng = mulberry32;

export function uniform(n: number, r: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}
