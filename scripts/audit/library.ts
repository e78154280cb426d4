/**
 * Audit category `library`: the Node API's entry points called with null, empty and wrong arguments, and every
 * registered method's and metric's options given bad values (generated from their OptionSpecs, so a new method or
 * option is covered without editing this file); dispose() during runs. Each call must give a result or one LumenError
 * — never a TypeError, a RangeError or a native crash.
 */
import '../../src/api.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { getMethod, listMethods } from '../../src/methods/registry.js';
import { getConceptMethod, listConceptMethods } from '../../src/methods/concepts/registry.js';
import { evaluate, listMetrics } from '../../src/metrics/index.js';
import { LumenModel } from '../../src/model.js';
import { explainFiles } from '../../src/node/explain-files.js';
import { decodeImageBytes } from '../../src/node/image-file.js';
import { loadInput } from '../../src/node/inputs.js';
import { loadModel } from '../../src/node/load.js';
import { nodeRuntime } from '../../src/node/runtime.js';
import { parseNpy } from '../../src/io/npy.js';
import { Tensor } from '../../src/tensor.js';
import type { OptionSpec } from '../../src/methods/types.js';
import { attempt, MODEL, tempDir, type AuditCase, type CaseResult, type Category } from './common.js';

interface LibraryCase extends AuditCase {
  /** What to call: a method or metric id with an options object, or a named entry-point call. */
  call: { kind: 'method'; id: string; variant: string } | { kind: 'concept'; id: string; variant: string } | { kind: 'metric'; id: string; option: string; value: string } | { kind: 'entry'; which: string } | { kind: 'dispose'; id: string };
}

/** Bad values for an option (as JSON-able tags, turned into values by `valueOf`). */
const BAD_VALUES = ['NaN', '-1', '1e12', "'abc'", 'null', '{}', 'true', '[]', '[1,2]', 'Infinity'];
const valueOf = (tag: string): unknown =>
  ({ NaN: Number.NaN, '-1': -1, '1e12': 1e12, "'abc'": 'abc', null: null, '{}': {}, true: true, '[]': [], '[1,2]': [1, 2], Infinity: Number.POSITIVE_INFINITY })[tag];

const ENTRY: Record<string, (m: LumenModel, x: Tensor) => Promise<unknown>> = {
  'predict(null)': (m) => m.predict(null as never),
  'predict(x, -1)': (m, x) => m.predict(x, -1),
  "predict(x, 'a')": (m, x) => m.predict(x, 'a' as never),
  'predict(x, 1e9)': (m, x) => m.predict(x, 1e9),
  'predict(empty batch)': (m) => m.predict(Tensor.zeros([0, 1, 28, 28])),
  'predict([1, 3, 5, 5])': (m) => m.predict(Tensor.zeros([1, 3, 5, 5])),
  'forward(undefined)': (m) => m.forward(undefined as never),
  "forward(x, ['nope'])": (m, x) => m.forward(x, ['nope']),
  'forward(x, null)': (m, x) => m.forward(x, null as never),
  'forward([784] flat)': (m) => m.forward(Tensor.zeros([784])),
  'layers(wrong tensor)': (m) => m.layers(Tensor.zeros([1, 3, 5, 5])),
  'zeroInput(null)': async (m) => m.zeroInput(null as never),
  'fromBytes(null)': async () => LumenModel.fromBytes(null as never, { runtime: nodeRuntime() }),
  'fromBytes(empty)': async () => LumenModel.fromBytes(new Uint8Array(0), { runtime: nodeRuntime() }),
  'fromBytes(model, null options)': async () => LumenModel.fromBytes(new Uint8Array(8), null as never),
  'loadModel(null)': () => loadModel(null as never),
  "loadModel('')": () => loadModel(''),
  "loadModel('/etc')": () => loadModel('/etc'),
  "loadModel('/dev/null')": () => loadModel('/dev/null'),
  "loadModel('/dev/zero')": () => loadModel('/dev/zero'),
  'loadModel(model, { threads: -1 })': () => loadModel(MODEL, { threads: -1 } as never),
  'loadInput(null)': (m) => loadInput(null as never, m),
  "loadInput('/dev/zero')": (m) => loadInput('/dev/zero', m),
  "loadInput('/etc')": (m) => loadInput('/etc', m),
  'loadInput(file, null model)': () => loadInput(MODEL, null as never),
  'parseNpy(empty)': async () => parseNpy(new Uint8Array(0)),
  'decodeImageBytes(empty)': () => decodeImageBytes(new Uint8Array(0)),
  "getMethod('nope')": async () => getMethod('nope'),
  'getMethod(null)': async () => getMethod(null as never),
  'evaluate(model, null)': (m) => evaluate(m, null as never),
  'evaluate(model, x, null)': (m, x) => evaluate(m, x, null as never),
  "evaluate(model, x, { metrics: ['nope'] })": (m, x) => evaluate(m, x, { metrics: ['nope'] }),
  'evaluate(model, x, { metrics: [] })': (m, x) => evaluate(m, x, { metrics: [] }),
  "evaluate(model, x, { method: 'nope' })": (m, x) => evaluate(m, x, { method: 'nope' }),
  'evaluate(model, empty batch)': (m) => evaluate(m, Tensor.zeros([0, 1, 28, 28])),
  'explainFiles(model, null)': (m) => explainFiles(m, null as never, { methods: [getMethod('gradcam')], targets: ['top1'], methodOptions: () => ({}), outDir: tempDir('lib') }),
  'explainFiles(model, [], no methods)': (m) => explainFiles(m, [], { methods: [], targets: [], methodOptions: () => ({}), outDir: tempDir('lib') }),
  'explain after dispose': async (m, x) => {
    const other = await loadModel(MODEL);
    await other.dispose();
    await other.dispose();
    return getMethod('gradcam').explain(other, x);
  },
};

const METHOD_VARIANTS = ['model null', 'input null', 'empty batch', 'options null', 'layer 42', 'wrong input shape', "target 'abc'", 'target 1e6', 'signal aborted'];

let model: Promise<LumenModel> | undefined;
const image = (): Tensor => Tensor.filled([1, 1, 28, 28], 0.5);

async function methodCall(id: string, variant: string): Promise<string> {
  const m = await (model ??= loadModel(MODEL));
  const method = getMethod(id);
  const x = image();
  const args: [LumenModel, Tensor, Record<string, unknown>] = [m, x, {}];
  if (variant === 'model null') args[0] = null as never;
  else if (variant === 'input null') args[1] = null as never;
  else if (variant === 'empty batch') args[1] = Tensor.zeros([0, 1, 28, 28]);
  else if (variant === 'options null') args[2] = null as never;
  else if (variant === 'layer 42') args[2] = { layer: 42 };
  else if (variant === 'wrong input shape') args[1] = Tensor.zeros([1, 3, 5, 5]);
  else if (variant === "target 'abc'") args[2] = { target: 'abc' };
  else if (variant === 'target 1e6') args[2] = { target: 1e6 };
  else if (variant === 'signal aborted') {
    const c = new AbortController();
    c.abort();
    args[2] = { signal: c.signal };
  } else if (variant.startsWith('option ')) {
    const [, name, tag] = /^option (\S+) = (.+)$/.exec(variant)!;
    args[2] = { [name!]: valueOf(tag!) };
  }
  const r = await method.explain(...args);
  const bad = r.attribution.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new Error(`a non-finite attribution (index ${bad}) was returned`);
  return `${r.attribution.dims.join('x')}`;
}

/**
 * Whether an option given a bad value must be refused: a number option given a non-number or a list (a list only
 * where the option takes one value per channel: [1, 2] for a count reached methods as NaN sizes), an enum a non-choice.
 */
function mustRefuse(o: OptionSpec, tag: string): boolean {
  if (o.type === 'number' || o.type === 'integer') return ["'abc'", '{}', 'true', '[]', 'NaN', 'Infinity'].includes(tag) || (tag === '[1,2]' && !o.perChannel);
  return o.type === 'enum' ? tag !== 'null' : false;
}

const CONCEPT_VARIANTS = ['valid', 'model null', 'inputs null', 'options null', 'empty batch', 'layer 42', "target 'abc'", 'target 1e6', 'wrong input shape', 'signal aborted'];
/** Must be refused whatever the method (a target for a method without one is ignored). */
const CONCEPT_REFUSED = new Set(['model null', 'inputs null', 'options null', 'empty batch', 'layer 42', "target 'abc'", 'wrong input shape', 'signal aborted']);

/** n distinct 28×28 images (seeded by `salt`), or an empty batch. */
function images(n: number, salt: number): Tensor {
  const t = Tensor.zeros([n, 1, 28, 28]);
  for (let i = 0; i < t.size; i++) t.data[i] = (((i + 1) * (salt * 7919 + 104729)) % 997) / 997;
  return t;
}

/** Each concept method's inputs: small valid sets, or with the image batch replaced by `x`. */
function conceptInputs(id: string, x?: Tensor): unknown {
  const set = (n: number, salt: number): Tensor => x ?? images(n, salt);
  // (TCAV needs ≥ 10 concept images and ≥ 18 random ones, MMD-critic more images than its 6 prototypes + 3 criticisms)
  if (id === 'tcav') return { concept: set(12, 1), random: images(20, 2), inputs: images(4, 3) };
  if (id === 'neighbors') return { query: images(1, 4), dataset: set(8, 5) };
  return set(id === 'prototypes' ? 12 : 8, 6);
}

async function conceptCall(id: string, variant: string): Promise<string> {
  const m = await (model ??= loadModel(MODEL));
  const method = getConceptMethod(id);
  const base: Record<string, unknown> = method.info.needsTarget ? { target: 0 } : {};
  const args: [unknown, unknown, unknown] = [m, conceptInputs(id), base];
  if (variant === 'model null') args[0] = null;
  else if (variant === 'inputs null') args[1] = null;
  else if (variant === 'options null') args[2] = null;
  else if (variant === 'empty batch') args[1] = conceptInputs(id, Tensor.zeros([0, 1, 28, 28]));
  else if (variant === 'wrong input shape') args[1] = conceptInputs(id, Tensor.zeros([2, 3, 5, 5]));
  else if (variant === 'layer 42') args[2] = { ...base, layer: 42 };
  else if (variant === "target 'abc'") args[2] = { ...base, target: 'abc' };
  else if (variant === 'target 1e6') args[2] = { ...base, target: 1e6 };
  else if (variant === 'signal aborted') {
    const c = new AbortController();
    c.abort();
    args[2] = { ...base, signal: c.signal };
  } else if (variant.startsWith('option ')) {
    const [, name, tag] = /^option (\S+) = (.+)$/.exec(variant)!;
    args[2] = { ...base, [name!]: valueOf(tag!) };
  }
  const r = await (method.run as (...a: unknown[]) => Promise<unknown>)(...args);
  const where = nonFinite(r, 'result');
  if (where) throw new Error(`a non-finite value was returned at ${where}`);
  return `returned ${Object.keys(r as object).slice(0, 4).join(', ')}`;
}

/** The path of a NaN or ±Inf number inside a result (numbers, typed arrays, Tensors, arrays, objects), or undefined. */
function nonFinite(v: unknown, path: string, depth = 0): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} = ${v}`;
  if (depth > 8 || v === null || typeof v !== 'object') return undefined;
  const values = v instanceof Tensor ? v.data : ArrayBuffer.isView(v) ? (v as Float32Array) : undefined;
  if (values) {
    const i = Array.prototype.findIndex.call(values, (x: number) => !Number.isFinite(x));
    return i >= 0 ? `${path}[${i}]` : undefined;
  }
  for (const [k, x] of Object.entries(v)) {
    const found = nonFinite(x, `${path}.${k}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export const library: Category<LibraryCase> = {
  name: 'library',
  title: 'library entry points: null/empty/wrong arguments, every method, concept method and metric option given bad values (from their OptionSpecs), dispose() during runs',
  timeoutMs: 120_000,
  slice: 8,
  async plan() {
    await loadAllMethods();
    const cases: LibraryCase[] = [];
    const add = (c: Omit<LibraryCase, 'id'>): void => void cases.push({ id: `library/${cases.length}`, ...c });
    for (const which of Object.keys(ENTRY)) add({ name: which, call: { kind: 'entry', which } });
    for (const m of listMethods()) {
      for (const variant of METHOD_VARIANTS) add({ name: `${m.id}: ${variant}`, call: { kind: 'method', id: m.id, variant }, ...(variant === "target 'abc'" || variant === 'target 1e6' || variant === 'signal aborted' || variant === 'layer 42' || variant.endsWith('null') || variant === 'empty batch' ? { expect: 'error' as const } : {}) });
      for (const o of m.options) {
        for (const tag of BAD_VALUES) {
          const variant = `option ${o.name} = ${tag}`;
          add({ name: `${m.id}: ${variant}`, call: { kind: 'method', id: m.id, variant }, ...(mustRefuse(o, tag) ? { expect: 'error' as const } : {}) });
        }
      }
      add({ name: `${m.id}: dispose() during the run`, call: { kind: 'dispose', id: m.id } });
    }
    // concept methods (dff, craft, tcav, neighbors, prototypes) through getConceptMethod(id).run
    for (const m of listConceptMethods()) {
      for (const variant of CONCEPT_VARIANTS) add({ name: `concept ${m.id}: ${variant}`, call: { kind: 'concept', id: m.id, variant }, ...(CONCEPT_REFUSED.has(variant) || (variant === 'target 1e6' && m.needsTarget) ? { expect: 'error' as const } : {}) });
      for (const o of m.options) {
        for (const tag of BAD_VALUES) {
          add({ name: `concept ${m.id}: option ${o.name} = ${tag}`, call: { kind: 'concept', id: m.id, variant: `option ${o.name} = ${tag}` }, ...(mustRefuse(o, tag) ? { expect: 'error' as const } : {}) });
        }
      }
    }
    for (const metric of listMetrics()) {
      for (const o of metric.options) {
        for (const tag of ["'abc'", 'NaN', '-1', '1e12', 'null', '[1,2]']) add({ name: `metric ${metric.id}: ${o.name} = ${tag}`, call: { kind: 'metric', id: metric.id, option: o.name, value: tag } });
      }
    }
    return cases;
  },
  async run(c): Promise<CaseResult> {
    const call = c.call;
    if (call.kind === 'entry') {
      return attempt(async () => {
        const m = await (model ??= loadModel(MODEL));
        const r = await ENTRY[call.which]!(m, image());
        return `returned ${r === null ? 'null' : typeof r}`;
      });
    }
    if (call.kind === 'method') return attempt(() => methodCall(call.id, call.variant));
    if (call.kind === 'concept') return attempt(() => conceptCall(call.id, call.variant));
    if (call.kind === 'metric') {
      return attempt(async () => {
        const m = await (model ??= loadModel(MODEL));
        const r = await evaluate(m, image(), { method: 'gradcam', metrics: [call.id], metricOptions: { [call.id]: { [call.option]: valueOf(call.value) } } });
        const v = r.results[0]?.value;
        return `value ${v}`;
      });
    }
    // dispose() while the method runs: it finishes or ends with CANCELLED, and the model works afterwards
    const own = await loadModel(MODEL);
    const running = attempt(async () => `finished: ${(await getMethod(call.id).explain(own, image())).attribution.dims.join('x')}`);
    await new Promise((done) => setTimeout(done, 20));
    await own.dispose();
    const during = await running;
    if (during.outcome === 'failure') return during;
    const after = await attempt(async () => (await getMethod('gradcam').explain(own, image())).attribution.dims.join('x'));
    await own.dispose();
    if (after.outcome !== 'result') return { outcome: 'failure', detail: `the model did not work after dispose() during ${call.id}: ${after.detail}` };
    return during;
  },
};
