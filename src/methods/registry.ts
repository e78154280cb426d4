import { NoGradientRuleError } from '../autodiff/builder.js';
import { LumenError } from '../errors.js';
import { NamedRegistry } from '../named-registry.js';
import type { Method, MethodInfo } from './types.js';
import { checkFiniteAttribution, validateExplainCall } from './validate.js';

const methods = new NamedRegistry<Method>('UNKNOWN_METHOD', (s) => s.toLowerCase().replace(/[\s_]/g, '-'));

/** Add a method under its id and aliases (each method file calls this once). */
export function registerMethod(method: Method): Method {
  const { id } = method.info;
  // Every call is validated here once, whichever entry point makes it, and a non-finite map never counts as a result.
  const explain = method.explain.bind(method);
  method.explain = async (model, input, options) => {
    const result = await explain(model, input, validateExplainCall(method.info, model, input, options)).catch((e: unknown) => {
      throw e instanceof NoGradientRuleError ? withGradientFreeMethods(e) : e;
    });
    checkFiniteAttribution(method.info, result.attribution);
    return result;
  };
  methods.add(id, method, method.info.aliases);
  return method;
}

/** An op without a gradient rule: name the registered methods that only run the model (from their metadata). */
function withGradientFreeMethods(e: NoGradientRuleError): LumenError {
  const ids = methods.values().filter((m) => !m.info.needsGradients).map((m) => m.info.id);
  return new LumenError(e.code, `${e.message}; methods that only run the model still do: ${ids.join(', ')}`);
}

/** Lookup by id or alias (case, spaces and underscores ignored); an unknown name is a usage error naming the closest ids. */
export const getMethod = (idOrAlias: string): Method => methods.get(idOrAlias);
export const hasMethod = (idOrAlias: string): boolean => methods.has(idOrAlias);
export const listMethods = (): MethodInfo[] => methods.values().map((m) => m.info);
