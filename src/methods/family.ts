import type { MethodFamily, MethodInfo, OptionSpec } from './types.js';

/**
 * What every method of a family has in common, stated once: a gradient method differentiates the score and returns
 * an input-shaped map; a perturbation method only runs the model on altered copies (so it needs a baseline for what
 * is removed) and its map is signed. A method's own info states the rest. (CAMs get theirs from `defineCam`.)
 */
const FAMILY_TRAITS = {
  gradient: { needsGradients: true, needsLayer: false, output: 'input' },
  perturbation: { needsGradients: false, needsBaseline: true, needsLayer: false, signed: true },
} as const satisfies Partial<Record<MethodFamily, Partial<MethodInfo>>>;

type TraitFamily = keyof typeof FAMILY_TRAITS;

/** The part of a MethodInfo a method of family F states itself. */
export type OwnInfo<F extends TraitFamily> = Omit<MethodInfo, 'family' | keyof (typeof FAMILY_TRAITS)[F]>;

/**
 * The full MethodInfo of a method of `family` (fields in the order `lumen methods --json` has always printed them).
 * The option list keeps its literal type, so `registerMethod` types the values `explain` receives.
 */
export function familyInfo<F extends TraitFamily, const S extends readonly OptionSpec[]>(family: F, own: OwnInfo<F> & { options: S }): MethodInfo & { options: S } {
  const info = { ...FAMILY_TRAITS[family], ...own } as Omit<MethodInfo, 'family'> & { options: S };
  const { id, aliases, title, summary, needsGradients, needsBaseline, needsLayer, output, signed, cost, reference, caveat, options } = info;
  return { id, aliases, title, family, summary, needsGradients, needsBaseline, needsLayer, output, signed, cost, ...(reference === undefined ? {} : { reference }), ...(caveat === undefined ? {} : { caveat }), options };
}
