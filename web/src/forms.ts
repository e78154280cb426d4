import type { OptionSpec } from '../../src/browser.js';

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
      if (spec.max !== undefined) num.max = String(spec.max);
      if (typeof spec.default === 'number') num.value = String(spec.default);
      input = num;
      readers.push(() => {
        if (num.value.trim() === '') return undefined;
        const v = Number(num.value);
        if (!Number.isFinite(v)) throw new Error(`${humanize(spec.name)}: not a number`);
        if (spec.type === 'integer' && !Number.isInteger(v)) throw new Error(`${humanize(spec.name)}: must be a whole number`);
        if (spec.min !== undefined && v < spec.min) throw new Error(`${humanize(spec.name)}: at least ${spec.min}`);
        if (spec.max !== undefined && v > spec.max) throw new Error(`${humanize(spec.name)}: at most ${spec.max}`);
        return [spec.name, v];
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

/** 'nSamples' → 'n samples', 'batch_size' → 'batch size'. */
export function humanize(name: string): string {
  return name.replace(/_/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}
