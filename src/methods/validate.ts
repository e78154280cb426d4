import { LumenError, throwIfCancelled } from '../errors.js';
import { describeValue } from '../options.js';
import type { LumenModel } from '../model.js';
import { Tensor } from '../tensor.js';
import type { ExplainOptions, MethodInfo, OptionSpec, ParsedOptions } from './types.js';
import { batchSizeOption, seedOption } from './common-options.js';

/**
 * Largest value of a count option (steps, samples, masks, segments, batch sizes) that declares no `max` of its own:
 * every pass costs at least one forward run, and some setups are quadratic in the count (Gauss–Legendre nodes), so
 * `--steps 1e9` must be refused before any work rather than hang where an AbortSignal cannot reach it (options
 * whose cost grows faster declare a smaller `max`, e.g. Integrated Gradients' steps).
 */
export const MAX_COUNT = 100_000;

/** Integer options that are identifiers rather than counts (no upper bound). */
const NOT_COUNTS = new Set(['seed']);

const bad = (message: string): LumenError => new LumenError('BAD_OPTION', message, 2);

/**
 * Check the arguments of `method.explain(model, input, options)` before the method sees them: every entry point
 * (library, CLI, web app, metrics) goes through here, so a wrong type is one LumenError, not a TypeError deep inside.
 * Returns the options object to use (an empty one for `undefined`).
 */
export function validateExplainCall(info: MethodInfo, model: LumenModel, input: Tensor, options: ExplainOptions | undefined): ExplainOptions {
  const who = `${info.id}.explain`;
  if (!model || typeof model !== 'object' || typeof (model as Partial<LumenModel>).checkInput !== 'function') {
    throw bad(`${who}: the first argument must be a loaded model (loadModel / LumenModel.fromBytes), got ${describe(model)}`);
  }
  if (!(input instanceof Tensor)) throw bad(`${who}: the input must be a Tensor, got ${describe(input)}`);
  model.checkInput(input);
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw bad(`${who}: options must be an object, got ${describe(options)}`);
  const { layer, seed, batchSize, signal, onProgress } = options;
  if (layer !== undefined && typeof layer !== 'string' && !(Array.isArray(layer) && layer.every((l) => typeof l === 'string'))) {
    throw bad(`${who}: layer must be a tensor name or a list of tensor names (see model.layers()), got ${describe(layer)}`);
  }
  // every method takes a seed and a batchSize (ExplainOptions): checked against the one spec even where a method declares none
  if (seed !== undefined) checkNumber(seedOption(''), seed, who);
  if (batchSize !== undefined) checkNumber(batchSizeOption(1, ''), batchSize, who);
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof (signal as AbortSignal).aborted !== 'boolean')) {
    throw bad(`${who}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') throw bad(`${who}: onProgress must be a function, got ${describe(onProgress)}`);
  checkOptionValues(info.options, options, who);
  throwIfCancelled(signal);
  return options;
}

/**
 * Check the values given for declared options (number and integer bounds, enum choices, booleans; flag or form text
 * read as its type), in the one wording below, each named `who: name`. Undeclared names and 'string' options pass
 * (the method or metric parses those). `explain` (through validateExplainCall), metrics and the export call this.
 */
export function checkOptionValues(specs: readonly OptionSpec[], options: Readonly<Record<string, unknown>>, who: string): void {
  for (const spec of specs) {
    const v = options[spec.name];
    if (v === undefined || v === null) continue;
    const problem = optionValueProblem(spec, v);
    if (problem) throw bad(`${who}: ${spec.name} ${problem}`);
  }
}

/**
 * What is wrong with a given (not undefined or null) value of a declared option, as checkOptionValues and the metric
 * options word it: enum choices, booleans, numbers and integers within bounds (flag or form text read as its type).
 * A 'string' option's value passes (the method or metric parses it).
 */
export function optionValueProblem(spec: OptionSpec, v: unknown): string | undefined {
  if (spec.type === 'enum') return enumOptionProblem(spec, v);
  if (spec.type === 'boolean') return booleanOptionProblem(v);
  if (spec.type !== 'number' && spec.type !== 'integer') return undefined;
  // ([] would pass the loop below with nothing checked, and Number([]) is 0)
  if (Array.isArray(v) && v.length === 0) return `must be ${spec.type === 'integer' ? 'an integer' : 'a finite number'}, got an empty array`;
  // One number, except an option that takes one value per channel: an array of numbers, or a Tensor the method
  // checks against the input ([1, 2] for a count reached the methods as NaN sizes and unbounded allocations).
  if (spec.perChannel && v instanceof Tensor) return undefined;
  for (const part of spec.perChannel && Array.isArray(v) ? v : [v]) {
    const problem = numberOptionProblem(spec, part, true);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The options a method's `explain` receives (after validateExplainCall): the caller's object with each declared number,
 * integer and boolean option converted from flag or form text, and each declared default applied where the value is
 * missing (undefined or null), so the method reads typed values (`OptionValues` in types.ts) and states no fallback of
 * its own. A given 'string' option (baselines, bounds, window shapes) is passed as given: the method parses it; a
 * missing one gets its declared default too (a baseline's 'zeros', noise-tunnel's base 'saliency').
 * (Exported helpers that take a caller's options directly parse them with it too: `checkedOptionValues`.)
 */
export function parseOptionValues<const S extends readonly OptionSpec[]>(specs: S, options: ExplainOptions): ParsedOptions<S> {
  const out: Record<string, unknown> = { ...options };
  for (const spec of specs) {
    const v = options[spec.name];
    if (spec.type === 'string') {
      if ((v === undefined || v === null) && spec.default !== undefined) out[spec.name] = spec.default;
      continue;
    }
    if (v === undefined || v === null) {
      if (spec.default !== undefined) out[spec.name] = spec.default;
      else delete out[spec.name];
    } else if ((spec.type === 'number' || spec.type === 'integer') && typeof v === 'string') out[spec.name] = Number(v);
    else if (spec.type === 'boolean' && typeof v === 'string') out[spec.name] = booleanOptionValue(v) === true;
  }
  return out as ParsedOptions<S>;
}

/**
 * A caller's options checked against a declared list (checkOptionValues, named by `who`) and parsed (parseOptionValues):
 * for exported helpers and direct callers that take options without going through `explain`, so their values are
 * refused in the same words and reach the helper typed, once.
 */
export function checkedOptionValues<const S extends readonly OptionSpec[]>(specs: S, options: ExplainOptions, who: string): ParsedOptions<S> {
  checkOptionValues(specs, options, who);
  return parseOptionValues(specs, options);
}

/**
 * A method's own limit on an option value beyond its spec, usually one that depends on the input (a grid no finer
 * than the image, a segment count no larger than its pixels); worded as numberOptionProblem, named by `who`.
 */
export function checkLimit(who: string, name: string, v: number, min: number, max: number, type: 'number' | 'integer' = 'integer'): number {
  const problem = numberOptionProblem({ name, type, min, max }, v);
  if (problem) throw bad(`${who ? `${who}: ` : ''}${name} ${problem}`);
  return v;
}

/** A number option within its spec's bounds; integer counts without a declared max stop at MAX_COUNT. */
export function checkNumber(spec: OptionSpec, v: unknown, who: string): void {
  const problem = numberOptionProblem(spec, v);
  if (problem) throw bad(`${who}: ${spec.name} ${problem}`);
}

/**
 * What is wrong with a value of a number or integer option ('must be an integer, got …', 'must be within [min, max],
 * got …'), or undefined when it is fine. Worded once here for every entry point — `explain` options, CLI flags,
 * metric options and the web forms — so a bad value reads the same everywhere; each caller names the place before it.
 * `strings`: a flag or form field's text is read as a number (a blank one is not a number).
 */
export function numberOptionProblem(spec: Pick<OptionSpec, 'name' | 'type' | 'min' | 'exclusiveMin' | 'max'>, v: unknown, strings = false): string | undefined {
  const integer = spec.type === 'integer';
  const n = strings && typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) return `must be ${integer ? 'an integer' : 'a finite number'}, got ${describe(v)}`;
  const max = optionMax(spec);
  const open = spec.exclusiveMin === true && spec.min !== undefined;
  if ((spec.min !== undefined && (n < spec.min || (open && n === spec.min))) || n > max) return `must be within ${optionRange(spec)}, got ${n}`;
  return undefined;
}

/** An option's range as the messages and docs write it: '[1, 100000]', '[0, ∞]', '(0, ∞]' for an exclusive minimum. */
export function optionRange(spec: Pick<OptionSpec, 'name' | 'type' | 'min' | 'exclusiveMin' | 'max'>, minusInfinity = '-∞'): string {
  const max = optionMax(spec);
  return `${spec.exclusiveMin === true && spec.min !== undefined ? '(' : '['}${spec.min ?? minusInfinity}, ${Number.isFinite(max) ? max : '∞'}]`;
}

/** What is wrong with a value of an enum option ('must be one of a, b, got …'), worded once as numberOptionProblem. */
export function enumOptionProblem(spec: Pick<OptionSpec, 'choices'>, v: unknown): string | undefined {
  if (!spec.choices || (typeof v === 'string' && spec.choices.includes(v))) return undefined;
  return `must be one of ${spec.choices.join(', ')}, got ${describe(v)}`;
}

/**
 * The text forms of a boolean option that every entry point accepts (`explain`, CLI flags, metric options, concept
 * options): flags and forms send text, and `--raw yes` was always taken by the CLI. Exact and lower case.
 */
const BOOLEAN_TEXTS: ReadonlyMap<string, boolean> = new Map([['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false]]);

/** A boolean option's value as a boolean (a boolean, or one of 'true', '1', 'yes', 'false', '0', 'no'); undefined if it is neither. */
export function booleanOptionValue(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : typeof v === 'string' ? BOOLEAN_TEXTS.get(v) : undefined;
}

/** What is wrong with a value of a boolean option (booleanOptionValue's forms), worded as above. */
export function booleanOptionProblem(v: unknown): string | undefined {
  return booleanOptionValue(v) === undefined ? `must be true or false, got ${describe(v)}` : undefined;
}

/** The largest value an option takes: its declared max, else MAX_COUNT for integer counts. */
export function optionMax(spec: Pick<OptionSpec, 'name' | 'type' | 'max'>): number {
  return spec.max ?? (spec.type === 'integer' && !NOT_COUNTS.has(spec.name) ? MAX_COUNT : Infinity);
}

/** How many values of `data` are NaN or ±Inf. */
export function countNonFinite(data: ArrayLike<number>): number {
  // Fast path for the usual all-finite case (every input and map is scanned): Σ x·0 is 0 when all x are finite and
  // NaN otherwise (NaN·0 = ±Inf·0 = NaN). Branch-free, and four sums so the adds do not wait on each other: about
  // 3× faster than counting.
  const n = data.length;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += data[i]! * 0;
    s1 += data[i + 1]! * 0;
    s2 += data[i + 2]! * 0;
    s3 += data[i + 3]! * 0;
  }
  for (; i < n; i++) s0 += data[i]! * 0;
  if (s0 + s1 + s2 + s3 === 0) return 0;
  let bad = 0;
  for (let j = 0; j < n; j++) if (!Number.isFinite(data[j]!)) bad++;
  return bad;
}

/** A finished attribution must be finite: NaN/Inf maps are reported, never drawn or written as a result. */
export function checkFiniteAttribution(info: MethodInfo, attribution: Tensor): void {
  const n = countNonFinite(attribution.data);
  if (n > 0) {
    throw new LumenError('NON_FINITE', `${info.id}: the attribution holds ${n} of ${attribution.size} values that are NaN or infinite (the model's weights or intermediate values overflow or are not finite for this input); no result is written`);
  }
}

const describe = describeValue;
