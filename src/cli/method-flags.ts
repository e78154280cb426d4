import { Option, type Command } from 'commander';
import { LumenError } from '../errors.js';
import { getMethod, listMethods } from '../methods/registry.js';
import type { Method, OptionSpec } from '../methods/types.js';
import { parseList } from './flags.js';
import { booleanOptionProblem, booleanOptionValue, enumOptionProblem, numberOptionProblem } from '../methods/validate.js';
import type { ModelFlags } from './model-options.js';
import { seedOption } from '../methods/common-options.js';

/** Options the CLI handles itself (not per-method flags). */
const GENERIC = new Set(['target', 'layer', 'seed', 'signal', 'onProgress', 'batchSize']);

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string): string => s.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Option name → the attribute commander stores its flag under (differs when the flag had to be prefixed). */
const flagAttribute = new Map<string, string>();

/**
 * Add one `--<option>` flag for every option any registered method declares, with the methods that use it
 * listed in the help (the same metadata drives the web app's forms). Values stay strings until a method parses them.
 */
export function addMethodOptionFlags(cmd: Command): Command {
  const byName = new Map<string, { spec: OptionSpec; methods: string[] }>();
  for (const m of listMethods()) {
    for (const o of m.options) {
      if (GENERIC.has(o.name)) continue;
      const entry = byName.get(o.name) ?? { spec: o, methods: [] };
      entry.methods.push(m.id);
      byName.set(o.name, entry);
    }
  }
  for (const [name, { spec, methods }] of [...byName.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    // A method option named like a command flag (e.g. IG's `method` vs --method) gets the method id as prefix.
    const taken = cmd.options.some((o) => o.long === `--${kebab(name)}`);
    const long = taken ? `${methods[0]!.replace(/[^a-z0-9]+/gi, '-')}-${kebab(name)}` : kebab(name);
    flagAttribute.set(name, camel(long));
    const flag = spec.type === 'boolean' ? `--${long} [bool]` : `--${long} <value>`;
    const choices = spec.choices ? ` (${spec.choices.join('|')})` : '';
    cmd.addOption(new Option(flag, `${spec.description}${choices} [${methods.join(', ')}]`).hideHelp(false));
  }
  return cmd;
}

/** The options of `method` that were given on the command line, parsed by its OptionSpecs. */
export function methodOptionsFromFlags(method: Method, flags: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of method.info.options) {
    if (GENERIC.has(spec.name)) continue;
    const raw = flags[flagAttribute.get(spec.name) ?? spec.name];
    if (raw === undefined) continue;
    out[spec.name] = parseOption(spec, raw, method.info.id);
  }
  return out;
}

/**
 * The flags of a command that runs methods (explain, evaluate, export): the model flags, the flags every such
 * command has, and one string per method option flag (`addMethodOptionFlags`, read by `methodOptionsFromFlags`).
 */
export interface MethodCommandFlags extends ModelFlags {
  method?: string;
  /** `-l a,b`: the layer names (flag.layer('<tensors>') parses the list). */
  layer?: string[];
  seed?: string;
  json?: boolean;
  [option: string]: unknown;
}

/** `-m a,b,a`: the methods, each once, in the order given. */
export function parseMethodList(text: string): Method[] {
  const methods = parseList('--method', text, 'method', " (see 'lumen methods')").map((id) => getMethod(id));
  return methods.filter((m, i) => methods.findIndex((o) => o.info.id === m.info.id) === i);
}

/**
 * A command's own integer flag (--seed, --batch-size, …), parsed and bounded by the same rules and words as the method
 * options (numberOptionProblem; a count without a declared max stops at MAX_COUNT). Only decimal digits are an
 * integer here ('1e3' and '0x10' are refused too).
 */
export function integerFlag(name: string, raw: unknown, min?: number, max?: number): number {
  const text = String(raw).trim();
  if (!/^[-+]?\d+$/.test(text)) throw new LumenError('BAD_OPTION', `--${kebab(name)} must be an integer, got '${String(raw)}'`, 2);
  return parseOption({ name, type: 'integer', min, max, description: '' }, text, undefined) as number;
}

/** `--seed`: an integer within the range every seeded method declares (`seedOption`), refused where it is parsed. */
export function seedFlag(raw: unknown): number {
  const { min, max } = seedOption('');
  return integerFlag('seed', raw, min, max);
}

/** A command's own number flag (--iou, --score-threshold), parsed and bounded in the words of integerFlag. */
export function numberFlag(name: string, raw: unknown, min?: number, max?: number): number {
  return parseOption({ name, type: 'number', min, max, description: '' }, String(raw).trim(), undefined) as number;
}

export function parseOption(spec: OptionSpec, raw: unknown, method: string | undefined): unknown {
  const text = String(raw);
  const where = method ? `--${kebab(spec.name)} (${method})` : `--${kebab(spec.name)}`;
  // a blank value, or a list given to a single-number flag (only per-channel options take lists), in explain's words
  if (spec.type !== 'boolean' && spec.type !== 'string' && (text.trim() === '' || (text.includes(',') && !spec.perChannel))) {
    const problem = spec.type === 'enum' ? enumOptionProblem(spec, text) : numberOptionProblem(spec, text, true);
    throw new LumenError('BAD_OPTION', `${where} ${problem ?? `takes one value, got '${text}'`}`, 2);
  }
  switch (spec.type) {
    case 'boolean': {
      // `--raw` alone is true (commander); text as every entry point reads it (booleanOptionValue)
      const value = booleanOptionValue(typeof raw === 'boolean' ? raw : text);
      if (value === undefined) throw new LumenError('BAD_OPTION', `${where} ${booleanOptionProblem(text)}`, 2);
      return value;
    }
    case 'number':
    case 'integer': {
      // A list ('0,0.5,1') only for an option that takes one value per channel (window shapes are 'string'
      // options); each value is checked as `explain` checks it.
      const texts = text.split(',');
      for (const t of texts) {
        const problem = numberOptionProblem(spec, t, true);
        if (problem) throw new LumenError('BAD_OPTION', `${where} ${problem}`, 2);
      }
      const parts = texts.map(Number);
      return parts.length === 1 ? parts[0] : parts;
    }
    case 'enum': {
      const problem = enumOptionProblem(spec, text);
      if (problem) throw new LumenError('BAD_OPTION', `${where} ${problem}`, 2);
      return text;
    }
    default: {
      // (an empty value of a 'string' option — a baseline, a bound, a window shape, a layer layout — was passed on as
      // '' and read as "not given": the default was used without a word)
      if (text.trim() === '') throw new LumenError('BAD_OPTION', `${where}: an empty value; give one (see 'lumen methods')`, 2);
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
  }
}
