import { LumenError, closestNames } from '../errors.js';
import { describeValue } from '../options.js';
import type { OptionSpec } from '../methods/types.js';
import { booleanOptionValue, optionValueProblem } from '../methods/validate.js';
import { getMetric } from './registry.js';
import { boxFromText } from '../targets/spec.js';
import type { Box, MetricInfo, Region } from './types.js';

/**
 * Parse CLI-style metric options, `metric.option=value` (e.g. `deletion.pixelsPerStep=8`, `road.noise=0`), into the
 * `metricOptions` of `evaluate`, converting each value by the option's declared type. Kebab-case option names
 * are accepted (`pixels-per-step`).
 */
export function parseMetricOptions(items: readonly string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const m = /^([\w-]+)\.([\w-]+)=(.*)$/.exec(item.trim());
    if (!m) throw new LumenError('BAD_OPTION', `metric option '${item}': expected metric.option=value, e.g. deletion.pixelsPerStep=8`, 2);
    const metric = getMetric(m[1]!);
    const name = m[2]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const spec = metric.info.options.find((o) => o.name === name);
    if (!spec) {
      const known = metric.info.options.map((o) => o.name);
      throw new LumenError('BAD_OPTION', `metric '${metric.info.id}' has no option '${m[2]}'` + (known.length ? ` (options: ${known.join(', ')}; closest: ${closestNames(name, known, 1).join('')})` : ' (it takes no options)'), 2);
    }
    const raw = m[3]!;
    const problem = metricOptionProblem(spec, raw);
    if (problem) throw new LumenError('BAD_OPTION', `${metric.info.id}.${name} ${problem}`, 2);
    (out[metric.info.id] ??= {})[name] = spec.type === 'number' || spec.type === 'integer' ? Number(raw) : spec.type === 'boolean' ? booleanOptionValue(raw) : raw;
  }
  return out;
}

/**
 * What is wrong with a value of a metric's option, in the words `explain` and the CLI use (optionValueProblem); a
 * metric's integer without a declared max is not capped as a method's counts are (pixelsPerStep grows with the image).
 */
function metricOptionProblem(spec: OptionSpec, v: unknown): string | undefined {
  return optionValueProblem({ ...spec, max: spec.max ?? Infinity }, v);
}

/**
 * The options given to one metric, checked against its declared ones before any work (`evaluate`, and every
 * `compute` through registerMetric): numbers, integers, enums and booleans in the words of explain and the CLI
 * (metricOptionProblem), named `metric.option`.
 */
export function checkMetricOptions(info: MetricInfo, given: Readonly<Record<string, unknown>> | undefined): void {
  if (given === undefined || given === null) return;
  if (typeof given !== 'object' || Array.isArray(given)) throw new LumenError('BAD_OPTION', `${info.id}: options must be an object, got ${describeValue(given)}`, 2);
  for (const spec of info.options) {
    const v = given[spec.name];
    if (v === undefined || v === null) continue;
    const problem = metricOptionProblem(spec, v);
    if (problem) throw new LumenError('BAD_OPTION', `${info.id}.${spec.name} ${problem}`, 2);
  }
}

/**
 * Parse ground-truth boxes for the localization metrics: `x0,y0,x1,y1` in input pixels (x1, y1 exclusive),
 * several boxes separated by ';' — e.g. `4,2,20,26;30,30,40,40`.
 */
export function parseBoxes(text: string): Region {
  const boxes: Box[] = text.split(';').filter((s) => s.trim()).map((part) => {
    const b = boxFromText(part);
    if (!b || b.x1 <= b.x0 || b.y1 <= b.y0) {
      throw new LumenError('BAD_OPTION', `box '${part}': expected x0,y0,x1,y1 with x1 > x0 and y1 > y0 (input pixels, x1/y1 exclusive)`, 2);
    }
    return b;
  });
  if (boxes.length === 0) throw new LumenError('BAD_OPTION', `no box in '${text}'`, 2);
  return { boxes };
}
