import { unknownNameError } from './errors.js';

/**
 * Items (methods, metrics) by id, found by id or alias after `normalize`; an unknown name is one usage error listing
 * the known ids and the closest ones.
 */
export class NamedRegistry<T> {
  private readonly items = new Map<string, T>();
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly code: 'UNKNOWN_METHOD' | 'UNKNOWN_METRIC',
    private readonly normalize: (name: string) => string,
  ) {}

  add(id: string, item: T, aliases: readonly string[] = []): void {
    this.items.set(id, item);
    for (const name of [id, ...aliases]) this.ids.set(this.normalize(name), id);
  }

  get(name: string): T {
    // a JavaScript caller may pass anything: not a TypeError from normalize
    if (typeof name !== 'string') throw unknownNameError(this.code, String(name), [...this.items.keys()]);
    const id = this.ids.get(this.normalize(name));
    const item = id === undefined ? undefined : this.items.get(id);
    if (item === undefined) throw unknownNameError(this.code, name, [...this.items.keys()]);
    return item;
  }

  has(name: string): boolean {
    if (typeof name !== 'string') return false;
    return this.ids.has(this.normalize(name));
  }

  values(): T[] {
    return [...this.items.values()];
  }
}
