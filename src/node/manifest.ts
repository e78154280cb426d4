import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The manifest of an explain output folder: one JSON row per line, appended as rows finish (explain-files.ts). */
export const MANIFEST_FILE = 'manifest.jsonl';

/** One row of the batch manifest (JSON Lines): an image × method × target, done or failed. */
export interface ManifestRow {
  key: string;
  input: string;
  method: string;
  target: string;
  status: 'ok' | 'error';
  class?: number;
  label?: string;
  probability?: number;
  png?: string;
  npy?: string;
  scores?: Record<string, number>;
  /** Why the scores are missing (e.g. a layer-resolution attribution cannot be scored on pixels). */
  scoreError?: string;
  /** Deletion / insertion curves when scored: fraction of pixels changed → probability of the class. */
  curves?: Record<string, { x: number[]; y: number[] }>;
  /** The model's top-5 classes for this image (from the batch's own forward pass). */
  top?: { label: string; probability: number }[];
  /** The image as the model saw it (PNG beside the overlays). */
  image?: string;
  /** Timings of the whole batch the row was computed in (`batch` images). */
  timings?: { compileMs: number; runMs: number };
  batch?: number;
  error?: string;
}

/**
 * The rows of `dir`'s manifest in file order (none without a manifest). A line cut by an interrupted run is skipped:
 * its row is recomputed by a re-run. Where a key has several rows, the later one is the newer (a re-run with --force).
 */
export function readManifestRows(dir: string): ManifestRow[] {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return [];
  const rows: ManifestRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as ManifestRow);
    } catch {
      // a line cut by an interrupted run
    }
  }
  return rows;
}
