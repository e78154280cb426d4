import type { OptionSpec } from './types.js';

/**
 * The options many methods declare, spelled once (name, type, bounds); each method says in `description` what one
 * unit is for it. The CLI flags, web-app fields and docs tables are generated from these specs. Literal types, so
 * the values `explain` receives are typed (OptionValues in types.ts).
 */

/** `batchSize`: how many of the method's passes (images, samples, masks, …) go into one ONNX Runtime run; bounds memory, not the result. */
export const batchSizeOption = (fallback: number, description: string) => ({ name: 'batchSize', type: 'integer', default: fallback, min: 1, description }) as const satisfies OptionSpec;

/**
 * `seed`: the seed of the method's random draws (default 0); the same seed gives the same result. Every generator
 * (src/random.ts) takes 32 bits of it, so the range is [−2³¹, 2³² − 1]: a larger seed would silently repeat a smaller one.
 */
export const seedOption = (description: string) => ({ name: 'seed', type: 'integer', default: 0, min: -(2 ** 31), max: 2 ** 32 - 1, description }) as const satisfies OptionSpec;
