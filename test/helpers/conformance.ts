import { readFileSync } from 'node:fs';
import { loadModel } from '../../src/node/load.js';
import type { LumenModel } from '../../src/model.js';
import type { Tensor } from '../../src/tensor.js';
import type { TargetSpec } from '../../src/targets/index.js';
import { npyToTensor } from '../../src/io/npy.js';

export const ROOT = 'conformance';

export interface Case {
  model: string;
  input: string;
  input_file: string;
  target: number;
  /** 'segmentation': `target` is the category over the mask in `mask_file` (README "Semantic segmentation"). */
  target_kind?: string;
  mask_file?: string;
}

export interface Reference {
  model: string;
  input: string;
  target: number;
  library: string;
  method: string;
  output?: string;
  file: string;
  target_layer_onnx?: string;
}

interface Manifest {
  cases: Case[];
  references: Reference[];
  models: Record<string, { target_layer: { onnx_tensor: string } }>;
}

export const manifest = JSON.parse(readFileSync(`${ROOT}/manifest.json`, 'utf8')) as Manifest;

/** A reference array (path relative to the conformance folder or to the repo). */
export function readNpy(path: string): Tensor {
  return npyToTensor(new Uint8Array(readFileSync(path.startsWith(ROOT) ? path : `${ROOT}/${path}`)));
}

export function caseDir(c: { model: string; input: string; target: number; target_kind?: string }): string {
  return `${ROOT}/refs/${c.model}/${c.input}/${c.target_kind === 'segmentation' ? 'c' : 't'}${c.target}`;
}

/** The case's target spec: the class, or the category over the case's mask. */
export function caseTarget(c: Case): TargetSpec {
  if (c.target_kind !== 'segmentation') return c.target;
  return { kind: 'segmentation', category: c.target, mask: readNpy(c.mask_file!).data };
}

export function layerOf(model: string): string {
  return manifest.models[model]!.target_layer.onnx_tensor;
}

export function findRef(c: Case, method: string, output?: string): Reference | undefined {
  return manifest.references.find((r) => r.model === c.model && r.input === c.input && r.target === c.target && r.method === method && (output === undefined || r.output === output));
}

const models = new Map<string, Promise<LumenModel>>();
export function model(name: string): Promise<LumenModel> {
  let m = models.get(name);
  if (!m) {
    m = loadModel(`${ROOT}/models/${name}.onnx`);
    models.set(name, m);
  }
  return m;
}

/** max|ours − ref| / max|ref| (plain max|ours − ref| when the reference is all zeros). */
export function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(ours[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return scale === 0 ? err : err / scale;
}

/** max|ours − ref| */
export function absErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(ours[i]! - ref[i]!));
  return err;
}

/** Up to a global sign: min over s ∈ {+1, −1} of max|ours − s·ref| / max|ref|. */
export function signRelErr(ours: ArrayLike<number>, ref: ArrayLike<number>): { err: number; sign: 1 | -1 } {
  const plus = relErr(ours, ref);
  const minus = relErr(ours, Array.from(ref, (v) => -v));
  return plus <= minus ? { err: plus, sign: 1 } : { err: minus, sign: -1 };
}

/** Worst errors per reference kind, printed at the end of a test file (for the report). */
export class ErrorLog {
  private readonly worst = new Map<string, { err: number; where: string; n: number; fails: number }>();
  constructor(private readonly tolerance: (kind: string) => number) {}
  add(kind: string, err: number, where: string): void {
    const w = this.worst.get(kind) ?? { err: -1, where: '', n: 0, fails: 0 };
    w.n++;
    if (!(err < this.tolerance(kind))) w.fails++;
    if (err > w.err || Number.isNaN(err)) Object.assign(w, { err, where });
    this.worst.set(kind, w);
  }
  print(): void {
    for (const [k, w] of [...this.worst.entries()].sort()) {
      console.log(`# ${k.padEnd(34)} ${String(w.n - w.fails).padStart(2)}/${w.n} pass, worst ${w.err.toExponential(2)} (${w.where})`);
    }
  }
}
