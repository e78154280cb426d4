import { unknownNameError } from '../errors.js';
import type { Method, MethodInfo } from './types.js';
import { checkFiniteAttribution, validateExplainCall } from './validate.js';

const methods = new Map<string, Method>();
const aliases = new Map<string, string>();

/** Add a method under its id and aliases (each method file calls this once). */
export function registerMethod(method: Method): Method {
  const { id } = method.info;
  // Every call is validated here once, whichever entry point makes it, and a non-finite map never counts as a result.
  const explain = method.explain.bind(method);
  method.explain = async (model, input, options) => {
    const result = await explain(model, input, validateExplainCall(method.info, model, input, options));
    checkFiniteAttribution(method.info, result.attribution);
    return result;
  };
  methods.set(id, method);
  for (const a of [id, ...method.info.aliases]) aliases.set(normalize(a), id);
  return method;
}

export function getMethod(idOrAlias: string): Method {
  const id = aliases.get(normalize(idOrAlias));
  const m = id ? methods.get(id) : undefined;
  if (!m) throw unknownNameError('UNKNOWN_METHOD', idOrAlias, [...methods.keys()]);
  return m;
}

export function hasMethod(idOrAlias: string): boolean {
  return aliases.has(normalize(idOrAlias));
}

export function listMethods(): MethodInfo[] {
  return [...methods.values()].map((m) => m.info);
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[\s_]/g, '-');
}
