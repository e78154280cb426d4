import type * as OrtCommon from 'onnxruntime-common';
import { Tensor } from '../tensor.js';
import { LumenError } from '../errors.js';
import { MAX_THREADS, sessionCreateError, sessionRunError } from './errors.js';
import type { Feeds, Runtime, SegmentedModel, Session, SessionSettings } from './types.js';
import { planSegmentRun, type SegmentLayout, type SegmentRunPlan } from './segment.js';

/** The subset of the onnxruntime module API both onnxruntime-node and onnxruntime-web export. */
export interface OrtModule {
  InferenceSession: typeof OrtCommon.InferenceSession;
  Tensor: typeof OrtCommon.Tensor;
}

/**
 * Graphs of at least this many nodes are compiled at ORT's level 'basic' instead of 'all' (unless a level is set).
 * Why: at 'extended'/'all' ORT's fusions add nodes that its index-ordered topological sort (run once per optimizer)
 * then has to pass, so session creation grows ~3.5× per doubling of a conv chain's explanation graph (7k nodes: 2.1 s
 * CPU, 14k: 7.5 s), against ~2.3× at 'basic' (0.4 s, 1.4 s); run time of those chains is no worse at 'basic'. On
 * normal models 'all' runs 10–45 % faster (DenseNet-121, EfficientNetV2-S, ResNet-50 Saliency graphs, 400–2 000
 * nodes), so they keep it: the threshold sits well above them, about where 'all''s extra creation time outgrows what
 * it saves over ten runs. Measured in docs/autodiff.md, "Graph length and session creation".
 */
export const LARGE_GRAPH_NODES = 10_000;

/** ORT optimization level for a graph of `graphNodes` nodes when none is set (unknown size: 'all'). */
export function defaultOptimizationLevel(graphNodes: number | undefined): 'all' | 'basic' {
  return graphNodes !== undefined && graphNodes >= LARGE_GRAPH_NODES ? 'basic' : 'all';
}

/**
 * ORT's options for a session with settings `s` (`threads` checked here): the one place that turns Lumen's settings into them,
 * for a whole graph and for every segment of a segmented one (`segmented`). Intra-op threads are the model's
 * `threads`, for each segment as for a whole graph (the segments run one after another, so each gets what the model
 * asked for). Left to the runtime (unset or 0), a whole graph gets ORT's default, a pool of one thread per core, but
 * a segment gets one thread, i.e. no pool: with the default, a graph cut into up to MAX_SEGMENTS sessions
 * (src/runtime/segment.ts) held that many pools, all idle but one (64 × 31 threads on a 32-core machine).
 */
export function ortSessionOptions(s: SessionSettings, segmented: boolean): OrtCommon.InferenceSession.SessionOptions {
  if (s.threads !== undefined && !(Number.isInteger(s.threads) && s.threads >= 0 && s.threads <= MAX_THREADS)) {
    throw new LumenError('BAD_OPTION', `threads must be an integer from 0 (runtime default) to ${MAX_THREADS}, got ${String(s.threads)}`, 2);
  }
  const threads = s.threads || (segmented ? 1 : 0);
  return {
    graphOptimizationLevel: s.graphOptimizationLevel ?? defaultOptimizationLevel(s.graphNodes),
    ...(threads ? { intraOpNumThreads: threads } : {}),
    ...(s.executionProviders ? { executionProviders: s.executionProviders } : {}),
    // session config entries (both ORT packages pass `extra` to ORT's session config)
    ...(s.spinWait ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  };
}

/** A Runtime over either ORT package: the two share the onnxruntime-common API. */
export function createOrtRuntime(ort: OrtModule, name: string, defaults: SessionSettings = {}): Runtime {
  return {
    name,
    segments: true,
    async createSession(model: Uint8Array | SegmentedModel, settings: SessionSettings = {}): Promise<Session> {
      const options = ortSessionOptions({ ...defaults, ...settings }, !(model instanceof Uint8Array));
      // ORT's own failures (unknown op, invalid graph) become one LumenError naming the node and op.
      const create = (bytes: Uint8Array): Promise<OrtCommon.InferenceSession> =>
        ort.InferenceSession.create(bytes, options).catch((e: unknown) => {
          throw sessionCreateError(e);
        });
      if (model instanceof Uint8Array) return new OrtSession(ort, await create(model));
      // one session per segment, created one after another (the level was chosen for the whole graph's size)
      const sessions: OrtCommon.InferenceSession[] = [];
      try {
        for (const segment of model.segments) sessions.push(await create(segment.bytes));
      } catch (e) {
        await Promise.all(sessions.map((x) => x.release()));
        throw e;
      }
      // the session keeps the segments' names, not their bytes (tens of MB for a 192k-node graph)
      const layout = { inputNames: model.inputNames, outputNames: model.outputNames, segments: model.segments.map(({ inputs, outputs }) => ({ inputs, outputs })) };
      return new SegmentedOrtSession(ort, layout, sessions);
    },
  };
}

function toOrtFeeds(ort: OrtModule, feeds: Feeds): Record<string, OrtCommon.Tensor> {
  const ortFeeds: Record<string, OrtCommon.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    ortFeeds[name] = t instanceof Tensor ? new ort.Tensor('float32', t.data, t.dims) : new ort.Tensor('int64', t.data, t.dims);
  }
  return ortFeeds;
}

/** ORT's outputs as Lumen tensors (float32; other numeric types converted). */
function fromOrtResults(results: Readonly<Record<string, OrtCommon.Tensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(results)) {
    const data = value.data;
    const dims = value.dims.map(Number);
    if (data instanceof Float32Array) out[name] = new Tensor(data, dims);
    else if (data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array) out[name] = new Tensor(Float32Array.from(data), dims);
    else if (data instanceof BigInt64Array) out[name] = new Tensor(Float32Array.from(data, Number), dims);
    else throw new LumenError('UNSUPPORTED_MODEL', `output '${name}' has type ${value.type}, which Lumen cannot read as numbers`);
    value.dispose?.();
  }
  return out;
}

class OrtSession implements Session {
  constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtCommon.InferenceSession,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds = toOrtFeeds(this.ort, feeds);
    let results: OrtCommon.InferenceSession.ReturnType;
    try {
      results = fetches ? await this.session.run(ortFeeds, [...fetches]) : await this.session.run(ortFeeds);
    } catch (e) {
      throw sessionRunError(e, feeds);
    }
    return fromOrtResults(results);
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * A segmented graph's session: the segments' ORT sessions run in order, each fed the graph inputs and the earlier
 * segments' values it reads, as ORT tensors of their own type (bool masks, int64 shapes stay what they are). Only
 * the segments the fetched outputs depend on run, and each value is dropped after its last reader. Values live in
 * the slots of a plan made once per fetch set (`planSegmentRun`), so a step costs its own inputs and outputs, not
 * the number of values alive.
 */
class SegmentedOrtSession implements Session {
  constructor(
    private readonly ort: OrtModule,
    private readonly model: SegmentLayout & Pick<SegmentedModel, 'inputNames' | 'outputNames'>,
    private readonly sessions: readonly OrtCommon.InferenceSession[],
  ) {}

  get inputNames(): readonly string[] {
    return this.model.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.model.outputNames;
  }

  /** Run plans by fetch set. */
  private readonly plans = new Map<string, SegmentRunPlan>();

  private plan(wanted: readonly string[]): SegmentRunPlan {
    const key = wanted.join('\u0000');
    const known = this.plans.get(key);
    if (known) return known;
    for (const name of wanted) {
      if (!this.model.outputNames.includes(name)) throw new LumenError('RUNTIME_ERROR', `the graph has no output '${name}' (outputs: ${this.model.outputNames.join(', ')})`);
    }
    const plan = planSegmentRun(this.model, wanted);
    this.plans.set(key, plan);
    return plan;
  }

  async run(feeds: Feeds, fetches?: readonly string[]): Promise<Record<string, Tensor>> {
    const wanted = fetches ?? this.model.outputNames;
    const plan = this.plan(wanted);
    const slots = new Array<OrtCommon.Tensor | undefined>(plan.names.length);
    try {
      const ortFeeds = toOrtFeeds(this.ort, feeds);
      for (const name in ortFeeds) {
        const s = plan.slotOf.get(name);
        if (s !== undefined) slots[s] = ortFeeds[name];
      }
      for (const step of plan.steps) {
        const segmentFeeds: Record<string, OrtCommon.Tensor> = {};
        for (let j = 0; j < step.inputs.length; j++) {
          const v = slots[step.inputSlots[j]!];
          // a missing graph input: ORT's own message names it, as for a one-session graph
          if (v) segmentFeeds[step.inputs[j]!] = v;
        }
        // all of a segment's outputs: no fetch list (onnxruntime-common checks each fetched name with indexOf over the
        // outputs, quadratic in a segment's hundreds of handed-on values)
        const session = this.sessions[step.segment]!;
        const out = step.fetch ? await session.run(segmentFeeds, step.fetch) : await session.run(segmentFeeds);
        for (let j = 0; j < step.outputs.length; j++) slots[step.outputSlots[j]!] = out[step.outputs[j]!];
        for (const s of step.release) slots[s] = undefined;
      }
    } catch (e) {
      throw sessionRunError(e, feeds);
    }
    const results: Record<string, OrtCommon.Tensor> = {};
    wanted.forEach((name, j) => (results[name] = slots[plan.wantedSlots[j]!]!));
    return fromOrtResults(results);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}
