import { LumenModel } from '../../../src/model.js';
import { nodeRuntime } from '../../../src/node/runtime.js';
import type { OnnxGraph } from '../../../src/onnx/graph.js';
import { emptyModel } from '../../autodiff/helpers.js';

const runtime = nodeRuntime({ threads: 1 });

/**
 * A feature-vector model built in ONNX: input x [batch, F]; `body` gets column j as an [N, 1] tensor (x · e_j) and
 * returns the output tensor name ([N, K]).
 */
export function featureModel(F: number, body: (g: OnnxGraph, col: (j: number) => string) => string, metadata: { classes?: string[] } = {}): LumenModel {
  const g = emptyModel({ x: ['batch', F] });
  const cols = new Map<number, string>();
  const col = (j: number): string => {
    let name = cols.get(j);
    if (!name) {
      const e = new Float32Array(F);
      e[j] = 1;
      name = g.op('MatMul', ['x', g.addInitializer(e, [F, 1])]);
      cols.set(j, name);
    }
    return name;
  };
  const out = body(g, col);
  g.addNode('Identity', [out], ['y']);
  g.setOutputs(['y']);
  return LumenModel.fromProto(g.model, { runtime, source: 'test model', metadata });
}

/** x · w + b as an [N, 1] tensor. */
export function linear(g: OnnxGraph, F: number, w: readonly number[], b = 0): string {
  const mm = g.op('MatMul', ['x', g.addInitializer(Float32Array.from(w), [F, 1])]);
  return g.op('Add', [mm, g.addInitializer(Float32Array.of(b), [1])]);
}

export function mul(g: OnnxGraph, a: string, b: string): string {
  return g.op('Mul', [a, b]);
}

export function add(g: OnnxGraph, ...terms: string[]): string {
  return terms.reduce((acc, t) => g.op('Add', [acc, t]));
}

export function scale(g: OnnxGraph, a: string, s: number): string {
  return g.op('Mul', [a, g.addInitializer(Float32Array.of(s), [1])]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
