/** Timing helpers for the benchmark: interleaved repeats (so machine noise hits every measured thing alike) and medians. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Sampled {
  median: number;
  samples: number[];
}

/**
 * Run every function once to warm up, then `repeats` rounds in which each runs once (round-robin, order rotated
 * every round), and return
 * the median wall time of each. Interleaving makes ratios between them robust to load from other processes.
 */
export async function interleaved(fns: Readonly<Record<string, () => Promise<unknown>>>, repeats: number, warmup = 1): Promise<Record<string, Sampled>> {
  const names = Object.keys(fns);
  for (let w = 0; w < warmup; w++) for (const n of names) await fns[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < repeats; r++) {
    // rotate the order each round, so no function always runs right after the same (e.g. the heaviest) one
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + r) % names.length]!;
      const t0 = performance.now();
      await fns[n]!();
      samples[n]!.push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { median: median(samples[n]!), samples: samples[n]! }]));
}

/** Peak resident set size growth (bytes) while `fn` runs, sampled every few ms (ORT runs off the JS thread). */
export async function peakRssDuring(fn: () => Promise<unknown>, everyMs = 5): Promise<{ peakBytes: number; baseBytes: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    const r = process.memoryUsage.rss();
    if (r > peak) peak = r;
  }, everyMs);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return { peakBytes: peak - base, baseBytes: base };
}
