/**
 * Errors a user can cause (bad file, bad flag, unsupported model). The CLI prints the message
 * without a stack trace and exits with `exitCode`; everything else is a bug and keeps its trace.
 */
export type LumenErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_ONNX'
  | 'CORRUPT_MODEL'
  | 'EXTERNAL_DATA'
  | 'UNSUPPORTED_OPSET'
  | 'UNSUPPORTED_MODEL'
  | 'INPUT_SHAPE'
  | 'BAD_IMAGE'
  | 'UNKNOWN_LAYER'
  | 'TARGET_RANGE'
  | 'UNKNOWN_METHOD'
  | 'UNKNOWN_METRIC'
  | 'UNSUPPORTED_OP'
  | 'BAD_OPTION'
  | 'OUTPUT_EXISTS'
  | 'OUTPUT_FOLDER'
  | 'OUTPUT_LOCKED'
  | 'RUNTIME_ERROR'
  | 'NON_FINITE'
  | 'CANCELLED';

export class LumenError extends Error {
  readonly code: LumenErrorCode;
  /** 2 for a usage mistake (bad flag value), 1 for anything else. */
  readonly exitCode: 1 | 2;

  constructor(code: LumenErrorCode, message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'LumenError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function isLumenError(e: unknown): e is LumenError {
  return e instanceof LumenError;
}

/**
 * Between the passes of a long run: stop with CANCELLED ('explanation cancelled', 'evaluation cancelled'; a concept
 * method names itself: 'TCAV cancelled') once `signal` has fired.
 */
export function throwIfCancelled(signal: AbortSignal | undefined, what = 'explanation'): void {
  if (signal?.aborted) throw new LumenError('CANCELLED', `${what} cancelled`);
}

/** JSON text parsed, or one named error in one wording: `<source>: not valid JSON (<parser's reason>)`. */
export function parseJsonText(text: string, source: string, code: LumenErrorCode = 'BAD_OPTION', exitCode: 1 | 2 = 1): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new LumenError(code, `${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, exitCode);
  }
}

/** The usage error for a method or metric name that is not registered: the known names and the closest three. */
export function unknownNameError(code: 'UNKNOWN_METHOD' | 'UNKNOWN_METRIC', name: string, known: readonly string[]): LumenError {
  const kind = code === 'UNKNOWN_METHOD' ? 'method' : 'metric';
  const closest = known.length ? ` (closest: ${closestNames(name, known, 3).join(', ')})` : '';
  return new LumenError(code, `unknown ${kind} '${name}'. Available: ${known.join(', ')}${closest}`, 2);
}

/** "did you mean" helper: candidates sorted by edit distance to `name`, closest first. */
export function closestNames(name: string, candidates: readonly string[], max = 8): string[] {
  const dist = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return row[b.length]!;
  };
  return [...candidates]
    .map((c) => ({ c, d: c.includes(name) || name.includes(c) ? 0 : dist(name.toLowerCase(), c.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, max)
    .map((x) => x.c);
}
