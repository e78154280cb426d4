/**
 * `npm run audit` — the hardening audit of issue 23, kept and growing: hundreds of bad models, files, batch faults,
 * option values, library calls and server requests. Each case ends as a result, a clean LumenError, or a FAILURE
 * (stack trace, `internal error`, non-Lumen exception, hang, lost row, orphan or overwritten file, a file served that
 * was not asked for). Prints a table per category and exits 1 on any failure. Add cases in scripts/audit/*.ts.
 *
 *   npm run audit -- [--seed 23] [--cases N|slice] [--only models,batch] [--id models/346,…] [--json results.json] [--list]
 *
 * `--cases N` runs a seeded sample of N cases per category (npm test runs such a slice: test/fuzz/audit-slice.test.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { mulberry32 } from '../../src/random.js';
import { CATEGORIES } from './categories.js';
import { MARK, REPO, type AuditCase, type CaseResult, type Category } from './common.js';

export interface CaseRecord extends CaseResult {
  id: string;
  category: string;
  name: string;
  ms: number;
}

export interface AuditOptions {
  seed?: number;
  /** Cases per category (a seeded sample); 'slice': each category's own small `slice` count (npm test); all when absent. */
  cases?: number | 'slice';
  only?: readonly string[];
  /** Only these cases (ids as printed, e.g. models/346): to replay a failure. */
  ids?: readonly string[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface AuditReport {
  seed: number;
  records: CaseRecord[];
  summary: { category: string; cases: number; result: number; error: number; failure: number }[];
  failures: number;
}

const START_RETRIES = 15;
const START_WAIT_MS = 20_000;

/** A seeded choice of `n` case indices out of `total`, in order. */
export function sampleIndices(total: number, n: number | undefined, seed: number): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  if (n === undefined || n >= total) return all;
  const rnd = mulberry32(seed ^ 0x5eed);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n).sort((a, b) => a - b);
}

/** Run one category's chosen cases in worker processes: a hang or a dead worker fails that case, the rest go on. */
async function runCategory(category: Category, cases: AuditCase[], indices: number[], seed: number, log: (line: string) => void, tmp: string): Promise<CaseRecord[]> {
  const records: CaseRecord[] = [];
  let remaining = indices;
  let startFailures = 0;
  while (remaining.length > 0) {
    const done = new Set<number>();
    const { hung, current, stderr, exit } = await new Promise<{ hung: boolean; current: number; stderr: string; exit: number | null }>((finish) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'audit', 'worker.ts'), category.name, String(seed), remaining.join(',')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
      let current = -1;
      let started = Date.now();
      let stderr = '';
      let hung = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, category.timeoutMs);
      };
      arm();
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith(MARK)) return; // a command's own output (e.g. one left running by a case)
        line = line.slice(MARK.length);
        arm();
        if (line.startsWith('start ')) {
          current = Number(line.slice(6));
          started = Date.now();
        } else if (line.startsWith('{')) {
          const r = JSON.parse(line) as CaseResult & { index: number; stray?: boolean };
          const c = cases[r.index];
          if (!c) return;
          if (r.stray) {
            // an exception after (or beside) the case's own outcome: the case fails whatever it returned
            const prev = records.find((x) => x.id === c.id);
            if (prev) Object.assign(prev, { outcome: 'failure', detail: `${r.detail} (after: ${prev.detail})` });
            else records.push({ id: c.id, category: category.name, name: c.name, ms: Date.now() - started, outcome: 'failure', detail: r.detail });
            return;
          }
          done.add(r.index);
          records.push({ id: c.id, category: category.name, name: c.name, ms: Date.now() - started, outcome: r.outcome, detail: r.detail, ...(r.code ? { code: r.code } : {}) });
          log(`${r.outcome === 'failure' ? 'FAIL' : r.outcome.padEnd(6)} ${c.id} ${c.name}${r.outcome === 'failure' ? `: ${r.detail.split('\n').slice(0, 4).join(' | ')}` : ''}`);
        }
      });
      child.on('close', (exit) => {
        clearTimeout(timer);
        finish({ hung, current, stderr, exit });
      });
    });
    const open = remaining.filter((i) => !done.has(i));
    if (open.length === 0) break;
    // The worker stopped before finishing: the case it was in (if it had not reported) failed, then go on after it.
    if (current >= 0 && !done.has(current)) {
      const c = cases[current]!;
      const detail = hung ? `no sign of life for ${category.timeoutMs / 1000} s (a hang)` : `the process died (exit ${exit}): ${stderr.slice(-600)}`;
      records.push({ id: c.id, category: category.name, name: c.name, ms: category.timeoutMs, outcome: 'failure', detail });
      log(`FAIL   ${c.id} ${c.name}: ${detail.split('\n')[0]}`);
      done.add(current);
    } else if (current < 0 || done.has(current)) {
      // died between cases (start-up, or a case asked for a fresh process). A worker that cannot start means the
      // sources do not load (in a shared tree, often someone's edit in progress): wait and retry, then give up.
      if (current < 0 && exit !== 0) {
        if (++startFailures > START_RETRIES) throw new Error(`the ${category.name} worker does not start (do the sources load?): ${stderr.slice(-600)}`);
        log(`the ${category.name} worker did not start; retrying in ${START_WAIT_MS / 1000} s`);
        await new Promise((done) => setTimeout(done, START_WAIT_MS));
      }
    }
    remaining = remaining.filter((i) => !done.has(i));
  }
  return records.sort((a, b) => Number(a.id.split('/')[1]) - Number(b.id.split('/')[1]));
}

export async function runAudit(options: AuditOptions = {}): Promise<AuditReport> {
  const seed = options.seed ?? 23;
  const log = options.log ?? (() => {});
  const only = options.only ?? options.ids?.map((id) => id.split('/')[0]!);
  const chosen = CATEGORIES.filter((c) => !only?.length || only.includes(c.name));
  const unknown = (only ?? []).filter((n) => !CATEGORIES.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown audit categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}; known: ${CATEGORIES.map((c) => c.name).join(', ')}`);
  const records: CaseRecord[] = [];
  // Every worker and every command it starts writes its temp folders (os.tmpdir() reads TMPDIR) under one folder,
  // removed at the end: a full run left ~5 GB of lumen-audit-* folders (demo and bench outputs) in the temp folder.
  // LUMEN_AUDIT_KEEP=1 keeps it (its path is printed).
  const tmp = mkdtempSync(join(tmpdir(), 'lumen-audit-run-'));
  try {
    for (const category of chosen) {
      const cases = await category.plan(seed);
      const sampled = sampleIndices(cases.length, options.cases === 'slice' ? category.slice : options.cases, seed);
      const indices = options.ids?.length ? sampled.filter((i) => options.ids!.includes(cases[i]!.id)) : sampled;
      if (indices.length === 0) continue;
      log(`— ${category.name}: ${indices.length} of ${cases.length} cases (${category.title})`);
      records.push(...(await runCategory(category, cases, indices, seed, log, tmp)));
    }
  } finally {
    if (process.env.LUMEN_AUDIT_KEEP) log(`temp folders kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  const summary = chosen.filter((c) => records.some((r) => r.category === c.name)).map((c) => {
    const mine = records.filter((r) => r.category === c.name);
    const count = (o: string): number => mine.filter((r) => r.outcome === o).length;
    return { category: c.name, cases: mine.length, result: count('result'), error: count('error'), failure: count('failure') };
  });
  return { seed, records, summary, failures: records.filter((r) => r.outcome === 'failure').length };
}

export function formatSummary(report: AuditReport): string {
  const rows = [['category', 'cases', 'result', 'clean error', 'FAILURE'], ...report.summary.map((s) => [s.category, s.cases, s.result, s.error, s.failure].map(String))];
  const total = report.summary.reduce((a, s) => [a[0]! + s.cases, a[1]! + s.result, a[2]! + s.error, a[3]! + s.failure], [0, 0, 0, 0]);
  rows.push(['total', ...total.map(String)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const failures = report.records.filter((r) => r.outcome === 'failure');
  if (failures.length) lines.push('', 'failures:', ...failures.map((f) => `  ${f.id} ${f.name}: ${f.detail.split('\n').slice(0, 3).join(' | ').slice(0, 400)}`));
  return lines.join('\n');
}

function parseArgs(argv: string[]): AuditOptions & { json?: string; list?: boolean } {
  const out: AuditOptions & { json?: string; list?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = (v: string): number => {
      if (!/^\d+$/.test(v)) throw new Error(`${a} takes a non-negative integer, got '${v}'`);
      return Number(v);
    };
    if (a === '--seed') out.seed = int(value());
    else if (a === '--cases') {
      const v = value();
      out.cases = v === 'slice' ? 'slice' : int(v);
    }
    else if (a === '--only') out.only = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--json') out.json = value();
    else if (a === '--id') out.ids = value().split(',').map((s) => s.trim()).filter(Boolean);
    else if (a === '--list') out.list = true;
    else throw new Error(`unknown argument '${a}' (see the header of scripts/audit/audit.ts)`);
  }
  return out;
}

if (process.argv[1]?.endsWith(join('audit', 'audit.ts'))) {
  try {
    const args = parseArgs(process.argv.slice(2));
    if (args.list) {
      for (const c of CATEGORIES) process.stdout.write(`${c.name.padEnd(8)} ${String((await c.plan(args.seed ?? 23)).length).padStart(4)} cases  ${c.title}\n`);
      process.exit(0);
    }
    const started = Date.now();
    const report = await runAudit({ ...args, log: (l) => process.stdout.write(`${l}\n`) });
    process.stdout.write(`\naudit seed ${report.seed}, ${((Date.now() - started) / 1000).toFixed(0)} s\n${formatSummary(report)}\n`);
    if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 1)}\n`);
    process.exit(report.failures > 0 ? 1 : 0);
  } catch (e) {
    process.stderr.write(`audit: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
