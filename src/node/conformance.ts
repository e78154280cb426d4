import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LumenError } from '../errors.js';
import { callForRow, compareWithReference, type ReferenceRow, type RowCall } from '../conformance/mapping.js';
import { npyToTensor } from '../io/npy.js';
import { getMethod, hasMethod } from '../methods/registry.js';
import { loadAllMethods } from '../methods/load-all.js';
import type { Explanation } from '../methods/types.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import { toNchw } from '../layout.js';
import { resolveBatchTargets, targetRequest, type TargetSpec } from '../targets/index.js';
import { loadModel } from './load.js';
import { resizeMapBilinear } from '../image/resize-map.js';
import { minMaxInPlace } from '../methods/cam/base-cam.js';

export type RowStatus = 'pass' | 'fail' | 'skip';

export interface ConformanceLine {
  model: string;
  input: string;
  target: number;
  /** library/method/variant-or-output, e.g. 'pytorch-grad-cam/GradCAM/final'. */
  reference: string;
  metric: string;
  value: number;
  tolerance: number;
  status: RowStatus;
  detail?: string;
}

export interface ConformanceSummary {
  lines: ConformanceLine[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface ConformanceOptions {
  /** Only rows whose 'library/method/variant' contains this text. */
  filter?: string;
  onLine?: (line: ConformanceLine) => void;
}

/** Run every reference row of a conformance folder (manifest.json + models/ + inputs/ + refs/). */
export async function runConformance(dir: string, options: ConformanceOptions = {}): Promise<ConformanceSummary> {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new LumenError('FILE_NOT_FOUND', `${dir}: no manifest.json (not a conformance folder)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { references: ReferenceRow[] };
  await loadAllMethods();

  const models = new Map<string, Promise<LumenModel>>();
  const getModel = (name: string): Promise<LumenModel> => {
    let m = models.get(name);
    if (!m) {
      m = loadModel(join(dir, 'models', `${name}.onnx`));
      models.set(name, m);
    }
    return m;
  };
  // One explanation serves the final/raw/weights rows of the same call.
  const results = new Map<string, Promise<Explanation>>();
  const summary: ConformanceSummary = { lines: [], passed: 0, failed: 0, skipped: 0 };

  for (const row of manifest.references) {
    const reference = [row.library, row.method, row.variant ?? row.output].filter(Boolean).join('/');
    if (options.filter && !reference.toLowerCase().includes(options.filter.toLowerCase())) continue;
    const base = { model: row.model, input: row.input, target: row.target, reference };
    const call = withReferencePrecision(row, callForRow(row));
    let line: ConformanceLine;
    if (!call || (!call.methodId.startsWith('probe:') && !hasMethod(call.methodId))) {
      line = { ...base, metric: '-', value: Number.NaN, tolerance: row.compare.tol ?? Number.NaN, status: 'skip', detail: `not implemented (${call?.methodId ?? 'unknown reference kind'})` };
    } else {
      try {
        const key = `${row.model}|${row.input}|${row.target}|${row.target_kind ?? 'class'}|${call.methodId}|${JSON.stringify(call.options)}`;
        let pending = results.get(key);
        if (!pending) {
          pending = (async () => {
            const model = await getModel(row.model);
            const input = npyToTensor(new Uint8Array(readFileSync(join(dir, row.input_file))));
            return explainRow(model, input, rowTarget(dir, row), call.methodId, call.options);
          })();
          results.set(key, pending);
        }
        const explanation = await pending;
        const ours = call.pick(explanation);
        if (!ours) throw new Error(`the method returned no '${row.output ?? 'attribution'}' output (ask with raw: true)`);
        const ref = npyToTensor(new Uint8Array(readFileSync(join(dir, row.file))));
        let c = compareWithReference(ours.data, ref.data, row.compare);
        if (!c.pass && isSvdSignFinal(row)) {
          // EigenCAM's sign is LAPACK's choice (README): the final map is compared up to that sign, i.e. also with the
          // map the reference pipeline gives for the other sign of its own raw map.
          const other = otherSignFinal(dir, row, ref.dims);
          const c2 = other ? compareWithReference(ours.data, other, row.compare) : undefined;
          if (c2?.pass) c = { ...c2, detail: 'matches the reference with the opposite SVD sign (LAPACK picks the sign; compared up to sign)' };
        }
        const detail = [call.options.precision === 'float64' ? '(float64, as the reference)' : undefined, c.detail].filter(Boolean).join(' ');
        line = { ...base, metric: c.metricName, value: c.value, tolerance: c.tolerance, status: c.pass ? 'pass' : 'fail', ...(detail ? { detail } : {}) };
      } catch (e) {
        line = { ...base, metric: '-', value: Number.NaN, tolerance: row.compare.tol ?? Number.NaN, status: 'fail', detail: `error: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    summary.lines.push(line);
    if (line.status === 'pass') summary.passed++;
    else if (line.status === 'fail') summary.failed++;
    else summary.skipped++;
    options.onLine?.(line);
  }
  for (const m of models.values()) await (await m.catch(() => undefined))?.dispose();
  return summary;
}

/** The row's target: a class index, or (target_kind 'segmentation') the category over the row's mask. */
function rowTarget(dir: string, row: ReferenceRow): TargetSpec {
  if (row.target_kind === undefined) return row.target;
  if (row.target_kind !== 'segmentation' || !row.mask_file) throw new Error(`unknown target_kind '${row.target_kind}' (or no mask_file)`);
  const mask = npyToTensor(new Uint8Array(readFileSync(join(dir, row.mask_file))));
  return { kind: 'segmentation', category: row.target, mask: mask.data };
}

async function explainRow(model: LumenModel, input: Tensor, target: TargetSpec, methodId: string, options: Record<string, unknown>): Promise<Explanation> {
  const layer = options.layer as string | undefined;
  if (methodId === 'probe:segmentation-mask') {
    // the "pixels where the category wins" mask Lumen builds itself (seg:<category> without a mask)
    const category = typeof target === 'object' && 'category' in target ? target.category : Number(target);
    const own = await resolveBatchTargets(model, input, { kind: 'segmentation', category });
    const [h, w] = own.seed.dims.slice(2) as [number, number];
    return probe(new Tensor(own.seed.data.slice(category * h * w, (category + 1) * h * w), [h, w]), category);
  }
  const resolved = await resolveBatchTargets(model, input, target);
  if (methodId === 'probe:activation') {
    const { tensors } = await model.forward(input, [layer!]);
    return probe(toNchw(tensors[layer!]!, await model.layerLayout(layer!, input)), resolved.classes[0]!);
  }
  if (methodId === 'probe:gradient') {
    const { computeGradients } = await import('../autodiff/index.js');
    const r = await computeGradients(model, input, resolved.seed, { wrt: [layer!], ...targetRequest(resolved), ...(options.precision === 'float64' ? { precision: 'float64' as const } : {}) });
    return probe(toNchw(r.gradients[layer!]!, await model.layerLayout(layer!, input)), resolved.classes[0]!);
  }
  return getMethod(methodId).explain(model, input, { ...options, target });
}

/**
 * Rows computed in float64 (README "Precision") run the gradient methods, i.e. those with a `precision` option,
 * and the target-layer gradient probe, in float64 too.
 */
function withReferencePrecision(row: ReferenceRow, call: RowCall | undefined): RowCall | undefined {
  if (!call || row.computed_in !== 'float64') return call;
  const takesPrecision = call.methodId === 'probe:gradient' || (hasMethod(call.methodId) && getMethod(call.methodId).info.options.some((o) => o.name === 'precision'));
  return takesPrecision ? { ...call, options: { ...call.options, precision: 'float64' } } : call;
}

function isSvdSignFinal(row: ReferenceRow): boolean {
  return row.library === 'pytorch-grad-cam' && row.method === 'EigenCAM' && row.output === 'final';
}

/**
 * The reference's final map had LAPACK chosen the other sign: a stored `file_other_sign`, else pytorch-grad-cam's
 * post-processing (ReLU, min-max, cv2 bilinear resize, ReLU, min-max) applied to −raw of the reference's raw map.
 */
function otherSignFinal(dir: string, row: ReferenceRow & { file_other_sign?: string }, dims: readonly number[]): Float32Array | undefined {
  if (row.file_other_sign) return npyToTensor(new Uint8Array(readFileSync(join(dir, row.file_other_sign)))).data;
  const rawPath = join(dir, row.file.replace(/\.final\.npy$/, '.raw.npy'));
  if (!existsSync(rawPath)) return undefined;
  const raw = npyToTensor(new Uint8Array(readFileSync(rawPath)));
  const [h, w] = raw.dims.slice(-2) as [number, number];
  const [H, W] = dims.slice(-2) as [number, number];
  const flipped = raw.data.map((v) => Math.max(-v, 0));
  const up = resizeMapBilinear(minMaxInPlace(flipped), w, h, W, H).map((v) => Math.max(v, 0));
  return minMaxInPlace(up);
}

function probe(t: Tensor, target: number): Explanation {
  return { method: 'probe', attribution: t, targets: [target], extras: {}, timings: { compileMs: 0, runMs: 0 } };
}

export function formatConformanceLine(l: ConformanceLine): string {
  const v = Number.isNaN(l.value) ? '-' : l.value.toExponential(2);
  const tol = Number.isNaN(l.tolerance) ? '-' : l.tolerance.toExponential(0);
  return `${l.status.toUpperCase().padEnd(4)} ${l.model} ${l.input} t${l.target} ${l.reference} ${l.metric}=${v} tol=${tol}${l.detail ? `  ${l.detail}` : ''}`;
}
