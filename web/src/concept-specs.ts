import type { OptionSpec } from '../../src/browser.js';

/**
 * The concept views' options as OptionSpec lists, so their forms come from the same generator as the methods'
 * (forms.ts). Stand-in until the library registers the concept tools with their own metadata (issue 20,
 * /work/notes/20-coord.md): names, defaults and bounds are those of TcavOptions, MmdCriticOptions, CraftOptions and
 * `lumen neighbors -k`.
 */
export const CONCEPT_OPTION_SPECS: Record<'tcav' | 'prototypes' | 'craft' | 'neighbors', readonly OptionSpec[]> = {
  tcav: [
    { name: 'runs', type: 'integer', default: 10, min: 2, description: 'CAVs trained (concept vs random), and as many random-vs-random CAVs for the t-test' },
    { name: 'seed', type: 'integer', default: 0, min: 0, description: 'seed of the per-run subsamples' },
    { name: 'alpha', type: 'number', default: 0.05, min: 0, max: 1, description: 'significance level of the two-sided t-test' },
  ],
  prototypes: [
    { name: 'prototypes', type: 'integer', default: 6, min: 1, description: 'images that together best represent the class (MMD² greedy)' },
    { name: 'criticisms', type: 'integer', default: 3, min: 0, description: 'images the prototypes represent worst' },
    { name: 'witness', type: 'enum', default: 'positive', choices: ['positive', 'absolute'], description: "'positive': under-represented images only; 'absolute': |witness| as the paper" },
  ],
  craft: [
    { name: 'k', type: 'integer', default: 5, min: 1, description: 'concepts in the bank (NMF rank)' },
    { name: 'seed', type: 'integer', default: 0, min: 0, description: 'NMF initialization seed' },
    { name: 'cropSize', type: 'number', default: 0.5, min: 0.05, max: 1, description: 'crop side as a share of the image side' },
    { name: 'stride', type: 'number', default: 0.25, min: 0.05, max: 1, description: 'crop stride as a share of the image side' },
    { name: 'atlasSize', type: 'integer', default: 6, min: 1, description: 'crops shown per concept in the atlas' },
  ],
  neighbors: [{ name: 'k', type: 'integer', default: 8, min: 1, description: 'neighbours to list' }],
};
