/**
 * Readers of option values that no declared spec fully describes: a bound or default that depends on the input (a
 * metric's pixelsPerStep ≤ its pixels), a 'string' option's list (window shapes), and how values are named in
 * messages. Declared options are checked and parsed once where methods and metrics are registered
 * (src/methods/validate.ts) and read typed; these readers word a bad value with the same functions
 * (numberOptionProblem, enumOptionProblem), so a value reads the same wherever it is refused.
 */
import { LumenError } from './errors.js';
import { enumOptionProblem, numberOptionProblem } from './methods/validate.js';

type Options = Readonly<Record<string, unknown>>;

const bad = (name: string, v: unknown, expected: string): LumenError =>
  new LumenError('BAD_OPTION', `option ${name}=${shownValue(v)}: expected ${expected}`, 2);

/** A value after `option x=` in an error: as typed for strings and numbers, described for objects. */
export const shownValue = (v: unknown): string => (typeof v === 'object' && v !== null ? describeValue(v) : String(v));

/** A value as an error message shows it (never `[object Object]`). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array (${JSON.stringify(v).slice(0, 40)})`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  if (typeof v === 'string') return `'${v.slice(0, 40)}'`;
  return `${typeof v} ${String(v)}`;
}

const badValue = (name: string, problem: string): LumenError => new LumenError('BAD_OPTION', `${name} ${problem}`, 2);

/**
 * A finite number in [min, max] (an integer when `integer`), for a value whose default or bounds depend on the input
 * (a metric's pixelsPerStep ≤ its pixels) or that has no declared spec; worded as every option value
 * (numberOptionProblem in src/methods/validate.ts). A declared option with a fixed default is read typed instead.
 */
export function numberInRange(options: Options, name: string, fallback: number, min = -Infinity, max = Infinity, integer = false): number {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  const problem = numberOptionProblem({ name, type: integer ? 'integer' : 'number', min: min === -Infinity ? undefined : min, max }, v, true);
  if (problem) throw badValue(name, problem);
  return typeof v === 'string' ? Number(v) : (v as number);
}

/** One of `choices`, worded as every enum option value (enumOptionProblem). */
export function enumOption<T extends string>(options: Options, name: string, choices: readonly T[], fallback: T): T {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  const problem = enumOptionProblem({ choices }, v);
  if (problem) throw badValue(name, problem);
  return v as T;
}

/** A list of integers ≥ 1 given as an array or a comma/x-separated string ('1,8,8', '8x8'), or a single number. */
export function intListOption(options: Options, name: string): number[] | undefined {
  const v = options[name];
  if (v === undefined || v === null) return undefined;
  let list: unknown[];
  if (typeof v === 'number') list = [v];
  else if (typeof v === 'string') list = v.split(/[,x×\s]+/).filter((s) => s !== '').map(Number);
  else if (Array.isArray(v)) list = v;
  else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) list = Array.from(v as unknown as ArrayLike<number>);
  else list = [NaN];
  if (list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1)) {
    throw bad(name, v, "positive integers such as 8, '8,8' or '1,8,8'");
  }
  return list as number[];
}
