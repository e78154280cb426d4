import { NoGradientRuleError } from '../autodiff/builder.js';
import { LumenError } from '../errors.js';
import { NamedRegistry } from '../named-registry.js';
import type { Method, MethodDefinition, MethodInfo, OptionSpec } from './types.js';
import { checkFiniteAttribution, parseOptionValues, validateExplainCall } from './validate.js';

const methods = new NamedRegistry<Method>('UNKNOWN_METHOD', (s) => s.toLowerCase().replace(/[\s_]/g, '-'));

/**
 * Add a method under its id and aliases (each method file calls this once). Its `explain` then takes the public
 * `(model, input, options?)` and receives the options validated and parsed against `info.options` (typed from the
 * declared list: `MethodDefinition`). The object itself is registered and returned (CAM methods keep their definition).
 */
export function registerMethod<const S extends readonly OptionSpec[]>(definition: MethodDefinition<S>): Method {
  const method = definition as unknown as Method & { explain: Method['explain'] };
  const { id } = method.info;
  // Every call is validated and parsed here once, whichever entry point makes it, and a non-finite map never counts
  // as a result.
  const explain = definition.explain.bind(definition);
  method.explain = async (model, input, options) => {
    const values = parseOptionValues(definition.info.options, validateExplainCall(method.info, model, input, options));
    const result = await explain(model, input, values).catch((e: unknown) => {
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
