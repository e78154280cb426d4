/**
 * What every audit category shares: the case and outcome types, how an outcome is classified, the fixtures (bundled
 * model, samples) and a CLI runner. See scripts/audit/audit.ts and docs/hardening.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isLumenError } from '../../src/errors.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODEL = join(REPO, 'models', 'fashion-cnn.onnx');
export const SHAPES_MODEL = join(REPO, 'models', 'shapes-clean.onnx');
export const SAMPLES = join(REPO, 'samples', 'fashion');
export const SAMPLE = join(SAMPLES, '9-ankle-boot.png');
export const CLI = join(REPO, 'src', 'cli', 'main.ts');
/** `--import` value for tsx that works from any working folder (a bare 'tsx' resolves from the cwd). */
export const TSX = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** One audit case: serialisable, rebuilt identically from (category, seed) in the worker that runs it. */
export interface AuditCase {
  /** Stable within a seed: `<category>/<index>`. */
  id: string;
  name: string;
  /** The case must end in a refusal (a result would mean a bad input was accepted, e.g. a 4-D output read as classes). */
  expect?: 'error';
}

/**
 * result: the command or call did its work; error: one clean LumenError (CLI: exit 1 or 2, one message, no trace);
 * failure: a stack trace, `internal error`, a non-Lumen exception, a hang, a lost row, an orphan or overwritten
 * file, a file served outside what was asked, or a refusal-expected case that was accepted.
 */
export type Outcome = 'result' | 'error' | 'failure';

export interface CaseResult {
  outcome: Outcome;
  detail: string;
  code?: string;
  /** The worker must start afresh after this case (e.g. a command was left running in it). */
  restart?: boolean;
}

export interface Category<C extends AuditCase = AuditCase> {
  name: string;
  /** What the category covers (printed in the table and docs/hardening.md). */
  title: string;
  /** The full seeded case list. */
  plan(seed: number): C[] | Promise<C[]>;
  run(c: C, seed: number): Promise<CaseResult>;
  /** A case that gives no sign of life for this long is a hang. */
  timeoutMs: number;
  /** Cases of this category in the fast slice run by npm test (test/fuzz/audit-slice.test.ts). */
  slice: number;
}

const TRACE = /\n\s+at [^\n]*(:\d+:\d+|\(native\)|<anonymous>)/;
const JS_ERRORS = /\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|AssertionError)\b|internal error|\[object Object\]|Cannot read propert|is not a function|is not iterable|Maximum call stack/;

/** Why a message is not a clean one, or undefined. */
export function unclean(message: string): string | undefined {
  if (TRACE.test(message)) return 'a stack trace';
  const m = JS_ERRORS.exec(message);
  if (m) return `'${m[0]}'`;
  if (message.trim().length < 8) return 'an empty message';
  return undefined;
}

/** A thrown value: a clean LumenError is an error outcome, anything else a failure. */
export function classifyThrown(e: unknown): CaseResult {
  const message = e instanceof Error ? e.message : String(e);
  if (!isLumenError(e)) return { outcome: 'failure', detail: `${e instanceof Error ? e.name : typeof e}: ${e instanceof Error ? (e.stack ?? message) : message}` };
  const why = unclean(message);
  return why ? { outcome: 'failure', code: e.code, detail: `LumenError with ${why}: ${message}` } : { outcome: 'error', code: e.code, detail: message };
}

export async function attempt(fn: () => Promise<string>): Promise<CaseResult> {
  try {
    return { outcome: 'result', detail: await fn() };
  } catch (e) {
    return classifyThrown(e);
  }
}

/** Prefix of the worker's protocol lines (what else a case prints on stdout is not read). */
export const MARK = '@@lumen-audit@@ ';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killed: boolean;
}

/** Spawn `lumen …` (through tsx); `killAfterMs` sends SIGKILL then (the batch kill tests), `timeoutMs` too (a hang). */
export function runCli(args: readonly string[], options: { cwd?: string; killAfterMs?: number; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: options.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const limit = options.killAfterMs ?? options.timeoutMs;
    const timer = limit === undefined ? undefined : setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, limit);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, killed });
    });
  });
}

/** A CLI run that was not killed by us: exit 0 is a result, exit 1/2 with clean lines an error, anything else a failure. */
export function classifyCli(r: CliRun, what = 'the command'): CaseResult {
  if (r.killed) return { outcome: 'failure', detail: `${what} hung (killed at the time limit)` };
  if (r.signal) return { outcome: 'failure', detail: `${what} died of ${r.signal}: ${r.stderr.slice(-400)}` };
  const why = TRACE.test(r.stderr) ? 'a stack trace' : JS_ERRORS.exec(r.stderr)?.[0];
  if (why) return { outcome: 'failure', detail: `${what} printed ${why}: ${r.stderr.slice(0, 600)}` };
  if (r.code === 0) return { outcome: 'result', detail: firstLine(r.stdout) || 'exit 0' };
  if (r.code === 1 || r.code === 2) return { outcome: 'error', code: `exit ${r.code}`, detail: firstLine(r.stderr) || `exit ${r.code} with nothing on stderr` };
  return { outcome: 'failure', detail: `${what} exited ${r.code}: ${r.stderr.slice(0, 400)}` };
}

export const firstLine = (s: string): string => s.trim().split('\n')[0]?.slice(0, 300) ?? '';

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `lumen-audit-${tag}-`));
}
