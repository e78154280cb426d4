/**
 * mulberry32, the one seeded generator family in Lumen (each user mixes its seed its own way): a tiny, fast 32-bit
 * PRNG whose numbers are the same in Node and browsers for the same seed.
 */

/** Added to the state before every draw. */
export const MULBERRY32_INCREMENT = 0x6d2b79f5;

/** The float in [0, 1) that mulberry32 outputs for an already advanced state. */
export function mulberry32Float(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A generator of floats in [0, 1) seeded with a 32-bit integer. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Float(state);
  };
}
