/**
 * The readers of method and metric options, one module (methods, metrics and the export command use them). Values
 * arrive typed from the library or as strings from the CLI and web forms; each reader gives one BAD_OPTION error
 * naming the option. A missing (undefined or null) value is the fallback. Range checks of declared options also run
 * once at registerMethod (src/methods/validate.ts); these readers apply the method's own defaults and rules.
 */
import { LumenError } from './errors.js';

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

/** A string from a flag or form field is read as a number; a blank one is not. */
function numeric(v: unknown): unknown {
  return typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
}

/** A number accepted by `check` (default: finite); `expected` words the error. */
export function numberOption(options: Options, name: string, fallback: number, check: (v: number) => boolean = Number.isFinite, expected = 'a number'): number {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  const n = numeric(v);
  if (typeof n !== 'number' || !check(n)) throw bad(name, v, expected);
  return n;
}

/** A finite number in [min, max] (an integer when `integer`). */
export function numberInRange(options: Options, name: string, fallback: number, min = -Infinity, max = Infinity, integer = false): number {
  return numberOption(options, name, fallback, (n) => Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n)), `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
}

/** An integer ≥ min (default 1: counts). */
export function intOption(options: Options, name: string, fallback: number, min = 1): number {
  return numberOption(options, name, fallback, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
}

export function boolOption(options: Options, name: string, fallback: boolean): boolean {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw bad(name, v, 'true or false');
}

export function enumOption<T extends string>(options: Options, name: string, choices: readonly T[], fallback: T): T {
  const v = options[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !choices.includes(v as T)) throw bad(name, v, `one of ${choices.join(', ')}`);
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
