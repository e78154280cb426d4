import type { OptionSpec } from '../../src/browser.js';
import { numberOptionProblem, optionMax } from '../../src/methods/validate.js';

/** Options the app sets itself (target, layer, progress, cancel) or that make no sense as a form field. */
const APP_OWNED = new Set(['target', 'layer', 'signal', 'onProgress']);

export type OptionValues = Record<string, number | boolean | string>;

/**
 * Form fields generated from a method's OptionSpec list. Each field is labelled with the option name and
 * described by its description, so screen readers announce both.
 */
export function optionFields(methodId: string, specs: readonly OptionSpec[]): { element: HTMLElement; read: () => OptionValues } {
  const box = document.createElement('div');
  box.className = 'opts';
  const readers: (() => [string, number | boolean | string] | undefined)[] = [];
  for (const spec of specs) {
    if (APP_OWNED.has(spec.name)) continue;
    const id = `opt-${methodId}-${spec.name}`;
    const descId = `${id}-desc`;
    const wrap = document.createElement('div');
    const desc = document.createElement('span');
    desc.id = descId;
    desc.className = 'visually-hidden';
    desc.textContent = spec.description;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.title = spec.description;
    label.textContent = humanize(spec.name);

    let input: HTMLInputElement | HTMLSelectElement;
    if (spec.type === 'enum') {
      const select = document.createElement('select');
      for (const c of spec.choices ?? []) select.append(new Option(c, c, c === spec.default, c === spec.default));
      input = select;
      readers.push(() => [spec.name, select.value]);
    } else if (spec.type === 'boolean') {
      const check = document.createElement('input');
      check.type = 'checkbox';
      check.checked = spec.default === true;
      input = check;
      label.className = 'check';
      readers.push(() => [spec.name, check.checked]);
    } else if (spec.type === 'number' || spec.type === 'integer') {
      const num = document.createElement('input');
      num.type = 'number';
      num.step = spec.type === 'integer' ? '1' : 'any';
      if (spec.min !== undefined) num.min = String(spec.min);
      if (Number.isFinite(optionMax(spec))) num.max = String(optionMax(spec));
      if (typeof spec.default === 'number') num.value = String(spec.default);
      input = num;
      readers.push(() => {
        const v = readNumberField(spec, num.value);
        return v === undefined ? undefined : [spec.name, v];
      });
    } else {
      const text = document.createElement('input');
      text.type = 'text';
      if (typeof spec.default === 'string') text.value = spec.default;
      input = text;
      wrap.className = 'wide';
      readers.push(() => (text.value.trim() === '' ? undefined : [spec.name, text.value.trim()]));
    }
    input.id = id;
    input.name = spec.name;
    input.setAttribute('aria-describedby', descId);
    if (input instanceof HTMLInputElement && input.type === 'checkbox') {
      label.prepend(input);
      wrap.append(label, desc);
    } else {
      wrap.append(label, input, desc);
    }
    box.append(wrap);
  }
  return {
    element: box,
    read: () => Object.fromEntries(readers.map((r) => r()).filter((e): e is [string, number | boolean | string] => e !== undefined)),
  };
}

/**
 * A number field's value (undefined when blank), checked by the validator `explain` and the CLI use, so a bad value
 * gets the library's words ('num masks must be within [1, 100000], got 0').
 */
export function readNumberField(spec: OptionSpec, text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const problem = numberOptionProblem(spec, text, true);
  if (problem) throw new Error(`${humanize(spec.name)} ${problem}`);
  return Number(text);
}

/** 'nSamples' → 'n samples', 'batch_size' → 'batch size'. */
export function humanize(name: string): string {
  return name.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}
