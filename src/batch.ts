import { create } from '@bufbuild/protobuf';
import { attrInt } from './onnx/attributes.js';
import { OnnxGraph, valueInfoDims, type Dim } from './onnx/graph.js';
import { cloneModel } from './onnx/io.js';
import { TensorShapeProto_DimensionSchema, type ModelProto, type ValueInfoProto } from './onnx/proto.js';
import { inferShapes } from './onnx/shapes.js';
import { isShapeMismatch } from './runtime/errors.js';
import type { Feeds, Int64Feed, Session } from './runtime/types.js';
import { Tensor } from './tensor.js';

/**
 * Models exported with a fixed batch of 1 (torch.onnx.export without dynamic_axes, most zoo models). Lumen runs
 * batches (IG steps, noise samples, RISE masks, several images), so on load the batch is opened: the input's and
 * outputs' batch becomes the symbol BATCH, and Reshape targets that bake the 1 in are rewritten to copy (0) or
 * infer (-1) it. Whether the graph then really runs batches is checked on each session's first batched run; a
 * session whose batch ORT refuses as mismatched shapes, or that mixes items, runs one item at a time instead.
 */
export const BATCH = 'batch';

export interface BatchOpening {
  /** The batch size the file fixed (1). */
  fixed: number;
  /** Reshape targets rewritten to carry the batch. */
  reshapes: number;
  /** How its sessions run batches: 'batched' once a batched run matched item-by-item runs, 'single' after one did not. */
  mode: 'unverified' | 'batched' | 'single';
  /** Why the mode became 'single' (shown by `predict` and the web app beside the opset upgrade). */
  reason?: string;
}

/**
 * A copy of `model` with its batch fixed at 1 opened (see BATCH). Undefined when the model's single input leaves
 * its batch open already (or fixes it at another size, which no single image fits).
 */
export function openFixedBatch(model: ModelProto): { model: ModelProto; opening: BatchOpening } | undefined {
  const fixedFeeds = new OnnxGraph(model).feedInputs;
  if (fixedFeeds.length !== 1 || valueInfoDims(fixedFeeds[0]!)?.[0] !== 1 || (valueInfoDims(fixedFeeds[0]!)?.length ?? 0) < 2) return undefined;
  const copy = cloneModel(model);
  const g = new OnnxGraph(copy);
  const input = g.feedInputs[0]!;
  const dims = valueInfoDims(input)!;
  setBatchSymbol(input);
  for (const o of g.graph.output) if (valueInfoDims(o)?.[0] === 1) setBatchSymbol(o);
  // intermediate shapes declared at batch 1 would contradict batched runs: keep their types only
  for (const v of g.graph.valueInfo) if (v.type?.value.case === 'tensorType') v.type.value.value.shape = undefined;

  let reshapes = 0;
  const done = new Set<string>();
  // a Reshape fed by an earlier rewritten one sees the batch only after that rewrite: repeat until nothing changes
  for (let changed = true; changed;) {
    changed = false;
    const values = new Map<string, Dim[]>();
    const shapes = inferShapes(g, { [input.name]: [BATCH, ...dims.slice(1)] }, { values });
    for (const node of g.nodes) {
      if (node.opType !== 'Reshape' || done.has(node.name + node.output[0]) || attrInt(node, 'allowzero', 0) === 1) continue;
      // a constant, or computed from constants (old exporters build targets with Concat/Unsqueeze)
      const folded = node.input[1] ? values.get(node.input[1]) : undefined;
      const target = node.input[1] ? g.constantNumbers(node.input[1]) ?? (folded?.every((d) => typeof d === 'number') ? (folded as number[]) : undefined) : undefined;
      const lead = shapes.get(node.input[0]!)?.[0];
      if (!target || target.length === 0 || typeof lead !== 'string') continue;
      const factors = lead.split('*');
      if (factors.filter((f) => f === BATCH).length !== 1 || factors.some((f) => f !== BATCH && !/^\d+$/.test(f))) continue;
      const k = factors.filter((f) => f !== BATCH).reduce((a, f) => a * Number(f), 1);
      const rewritten = [...target];
      if (target[0] === k) rewritten[0] = 0; // the leading axis is kept: copy it
      else if (!target.includes(-1)) rewritten[0] = -1; // the leading axis absorbs the batch
      else continue;
      const old = node.input[1];
      node.input[1] = g.int64s(rewritten, 'lumen_batch_shape');
      // drop the old target when nothing else reads it (ORT warns about unused initializers)
      if (!g.nodes.some((n) => n.input.includes(old))) g.removeInitializers((t) => t.name === old);
      done.add(node.name + node.output[0]);
      reshapes++;
      changed = true;
    }
  }
  // Constant nodes that only fed the old targets (ORT warns about unused values)
  const read = new Set([...g.nodes.flatMap((n) => n.input), ...g.graph.output.map((o) => o.name)]);
  g.graph.node = g.graph.node.filter((n) => n.opType !== 'Constant' || n.output.some((o) => read.has(o)));
  return { model: copy, opening: { fixed: 1, reshapes, mode: 'unverified' } };
}

function setBatchSymbol(v: ValueInfoProto): void {
  const t = v.type?.value;
  const first = t?.case === 'tensorType' ? t.value.shape?.dim[0] : undefined;
  if (first) Object.assign(first, create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: BATCH } }));
}

type Value = Tensor | Int64Feed;

function batchOf(v: Value): number | undefined {
  return v.dims.length > 0 ? v.dims[0] : undefined;
}

function itemOf(v: Value, i: number): Value {
  const n = v.dims[0]!;
  const per = v.data.length / n;
  const dims = [1, ...v.dims.slice(1)];
  if (v instanceof Tensor) return new Tensor(v.data.subarray(i * per, (i + 1) * per), dims);
  return { kind: 'int64', data: v.data.subarray(i * per, (i + 1) * per), dims };
}

/** Concatenate run results along the first axis, keeping the typed array kind the runtime returned. */
function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const total = parts.reduce((a, p) => a + p.data.length, 0);
  const Ctor = first.data.constructor as new (n: number) => Float32Array;
  const data = new Ctor(total);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return new Tensor(data, [parts.reduce((a, p) => a + (p.dims[0] ?? 1), 0), ...first.dims.slice(1)]);
}

/** Row i of a batched output agrees with the same item run alone (float noise of another kernel blocking only). */
function rowMatches(batched: Tensor, single: Tensor, i: number): boolean {
  const per = single.data.length;
  if (batched.data.length !== per * batched.dims[0]!) return false;
  let scale = 0;
  for (let k = 0; k < per; k++) scale = Math.max(scale, Math.abs(single.data[k]!));
  const tol = 1e-3 * scale + 1e-5;
  for (let k = 0; k < per; k++) if (!(Math.abs(batched.data[i * per + k]! - single.data[k]!) <= tol)) return false;
  return true;
}

/**
 * A session of a model whose batch was opened (openFixedBatch): batched runs go through as long as they agree with
 * item-by-item runs (checked on the first one, items 0 and n−1); otherwise every run splits its feeds along the
 * first axis (feeds of batch 1, such as forwardMasked's image, are given whole to each run) and concatenates.
 * Only a shape mismatch from ORT on a batch whose first item runs alone switches the mode: any other error (memory,
 * a disposed session, a cancelled call), or one the item alone repeats (a bad input), reaches the caller and the
 * next batch is checked again.
 */
export function batchTolerantSession(session: Session, opening: BatchOpening): Session {
  let mode: BatchOpening['mode'] = opening.mode === 'single' ? 'single' : 'unverified';
  const split = (feeds: Feeds, n: number, i: number): Feeds =>
    Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, batchOf(v) === n ? itemOf(v, i) : v]));
  const singly = async (feeds: Feeds, n: number, fetches?: readonly string[], runs: Record<string, Tensor>[] = []): Promise<Record<string, Tensor>> => {
    for (let i = runs.length; i < n; i++) runs.push(await session.run(split(feeds, n, i), fetches));
    return Object.fromEntries(Object.keys(runs[0]!).map((k) => [k, concatRows(runs.map((r) => r[k]!))]));
  };
  const toSingle = (reason: string): void => {
    mode = opening.mode = 'single';
    opening.reason ??= `${reason}; the model runs one item at a time`;
  };
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    dispose: () => session.dispose(),
    async run(feeds, fetches) {
      const n = Math.max(0, ...Object.values(feeds).map((v) => batchOf(v) ?? 0));
      if (n <= 1 || mode === 'batched') return session.run(feeds, fetches);
      if (mode === 'single') return singly(feeds, n, fetches);
      let out: Record<string, Tensor>;
      try {
        out = await session.run(feeds, fetches);
      } catch (e) {
        if (!isShapeMismatch(e)) throw e;
        // the item alone must run: when it fails too, the input (or the model) is at fault, not the batch
        const first = await session.run(split(feeds, n, 0), fetches);
        const f = e.failure;
        toSingle(`a batch of ${n} failed in ONNX Runtime${f.op ? ` at op ${f.op}` : ''}${f.node ? ` (node '${f.node}')` : ''} while one item runs: ${f.detail}`);
        return singly(feeds, n, fetches, [first]);
      }
      // outputs without a batch axis cannot be split either: the graph is batch-aware as it is
      if (Object.values(out).some((t) => t.dims[0] !== n)) {
        mode = 'batched';
        return out;
      }
      for (const i of [0, n - 1]) {
        const alone = await session.run(split(feeds, n, i), fetches);
        if (!Object.entries(alone).every(([k, t]) => out[k] && rowMatches(out[k], t, i))) {
          toSingle(`row ${i} of a batch of ${n} differs from the same item run alone (the graph mixes items)`);
          return singly(feeds, n, fetches);
        }
      }
      mode = 'batched';
      if (opening.mode === 'unverified') opening.mode = 'batched';
      return out;
    },
  };
}
