/**
 * The seeded generators of Lumen, one module: mulberry32 (functions and the `Random` class) and the sfc32 `Rng` of the
 * perturbation and tabular methods. Only 32-bit integer arithmetic, so the same seed gives the same numbers in Node
 * and browsers. Each stream is pinned by tests; do not change one without changing those values and saying why.
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

/**
 * How a `Random` turns its seed into the first state. Two mixes exist because tests pin both streams:
 * 'xor' (seed ^ golden ratio; the gradient methods' noise, baselines and draws) and 'murmur' (a murmur3-style
 * multiply, so nearby seeds give unrelated streams; the metrics).
 */
export type SeedMix = 'xor' | 'murmur';

/** A seeded mulberry32 stream with uniform, integer, Gaussian (Box–Muller) and sampling helpers. */
export class Random {
  private state: number;
  private spare: number | undefined;

  constructor(seed = 0, mix: SeedMix = 'murmur') {
    this.state = mix === 'xor' ? (Math.trunc(seed) ^ 0x9e3779b9) >>> 0 : (Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Float(this.state);
  }

  /** Uniform in [lo, hi) (default [0, 1): the same number as `next()`). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }

  /** Standard normal by Box–Muller from u = 1 − U, v = U (the gradient methods' stream; shares the spare with `gaussian`). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** N(mu, sigma²) by Box–Muller from u = U (redrawn while 0), v = U (the metrics' stream). */
  gaussian(mu = 0, sigma = 1): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return mu + sigma * s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mu + sigma * r * Math.cos(2 * Math.PI * v);
  }

  /** `k` distinct indices from [0, n) (partial Fisher–Yates). */
  sample(n: number, k: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i);
    const m = Math.min(k, n);
    for (let i = 0; i < m; i++) {
      const j = i + this.int(n - i);
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx.slice(0, m);
  }
}

/**
 * Small fast PRNG (sfc32, seeded through splitmix32) so that the same seed gives bit-identical masks in Node and
 * in browsers (no Math.random). Uses only 32-bit integer arithmetic (Math.imul, >>> 0).
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296) throw new RangeError(`Rng.int(${n})`);
    const limit = 4294967296 - (4294967296 % n);
    let v: number;
    do v = this.uint32();
    while (v >= limit);
    return v % n;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}
