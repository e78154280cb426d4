/**
 * Audit category `batch`: `lumen explain DIR --out` (and evaluate's curves) under faults — kill -9 at seeded random
 * points then a re-run, colliding output names, two runs into one folder, a runtime error on one input, duplicate
 * methods, a re-run with other settings, bad -o targets for every command that writes. After each, the output folder
 * is checked: every expected row ok, every file a row names exists, no orphan, pending or lock file, no file of an
 * earlier row overwritten.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../src/api.js';
import { encodeNpy } from '../../src/io/npy.js';
import { OnnxGraph } from '../../src/onnx/graph.js';
import { decodeModel } from '../../src/onnx/io.js';
import { mulberry32 } from '../../src/random.js';
import { classifyCli, MODEL, runCli, SAMPLE, SAMPLES, tempDir, type AuditCase, type CaseResult, type Category, type CliRun } from './common.js';

interface BatchCase extends AuditCase {
  kind: 'kill' | 'collide' | 'concurrent' | 'row-error' | 'nan-row' | 'bad-out' | 'dup-methods' | 'settings' | 'evaluate-curves';
  /** kill: when the first run is killed (ms after spawn); a second kill during the re-run when `again`. */
  killAt?: number;
  again?: number;
  /** bad-out: the command and its -o value. */
  args?: string[];
}

const METHODS = 'gradcam,saliency';
/** The runner's own files (the run's settings for `lumen merge` and resumption). */
const KEEP = new Set(['manifest.jsonl', 'run.json', 'settings.json']);
const RUN_LIMIT = 180_000;
/** The size the open-size model of the row-error case runs at (the CLI's default probe size). */
const SIDE = 224;

interface Row {
  /** The row's identity (input, method, target and settings): a later row with the same key replaces it. */
  key?: string;
  input: string;
  method: string;
  target: string;
  status: string;
  png?: string;
  npy?: string;
  image?: string;
  error?: string;
}

/** Every check of an output folder after the runs finished; the problems found (empty when sound). */
function folderProblems(out: string, expected: { inputs: string[]; methods: string[] }, before?: Map<string, string>, newRowsFrom = 0): string[] {
  const problems: string[] = [];
  const manifest = join(out, 'manifest.jsonl');
  if (!existsSync(manifest)) return ['no manifest.jsonl'];
  const rows: Row[] = [];
  readFileSync(manifest, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rows.push(JSON.parse(line) as Row);
    } catch {
      problems.push(`manifest line ${i + 1} is not JSON: ${line.slice(0, 80)}`);
    }
  });
  const last = new Map<string, Row>();
  for (const r of rows) last.set(r.key ?? `${r.input}|${r.method}|${r.target}`, r);
  for (const input of expected.inputs) {
    for (const method of expected.methods) {
      const mine = [...last.values()].filter((x) => x.input === input && x.method === method);
      if (mine.length === 0) problems.push(`lost row: ${input} × ${method}`);
      else if (!mine.some((r) => r.status === 'ok')) problems.push(`${input} × ${method}: ${mine.at(-1)!.status} (${mine.at(-1)!.error ?? ''})`);
    }
  }
  const named = new Set<string>();
  for (const r of last.values()) {
    if (r.status !== 'ok') continue;
    for (const f of [r.png, r.npy, r.image]) {
      if (!f) continue;
      named.add(f);
      if (!existsSync(join(out, f))) problems.push(`row ${r.input} × ${r.method} names ${f}, which is missing`);
    }
  }
  const files = readdirSync(out);
  for (const f of files) {
    if (KEEP.has(f)) continue;
    if (f.endsWith('.pending') || f.endsWith('.tmp') || f === '.lumen.lock') problems.push(`left behind: ${f}`);
    else if (!named.has(f) && statSync(join(out, f)).isFile()) problems.push(`orphan file ${f} (no row names it)`);
  }
  // a file of an earlier row may change only when a row appended by the later run names it
  if (before) {
    const renamed = new Set(rows.slice(newRowsFrom).flatMap((r) => [r.png, r.npy, r.image].filter((x): x is string => !!x)));
    for (const [f, hash] of before) {
      if (!existsSync(join(out, f))) problems.push(`earlier output ${f} is gone`);
      else if (hashOf(join(out, f)) !== hash && !renamed.has(f)) problems.push(`earlier output ${f} was overwritten`);
    }
  }
  return problems;
}

const hashOf = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const snapshot = (out: string): Map<string, string> =>
  new Map(readdirSync(out).filter((f) => !KEEP.has(f) && statSync(join(out, f)).isFile()).map((f) => [f, hashOf(join(out, f))]));
const manifestLines = (out: string): number => (existsSync(join(out, 'manifest.jsonl')) ? readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).length : 0);

/** A folder of inputs under `dir`: `n` fashion samples as in/<name>.png. */
function inputs(dir: string, n: number): string[] {
  mkdirSync(join(dir, 'in'), { recursive: true });
  const names = readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).sort().slice(0, n);
  for (const f of names) copyFileSync(join(SAMPLES, f), join(dir, 'in', f));
  return names.map((f) => `in/${f}`);
}

const fail = (detail: string): CaseResult => ({ outcome: 'failure', detail });
const checked = (problems: string[], ok: string): CaseResult => (problems.length ? fail(problems.slice(0, 6).join('; ')) : { outcome: 'result', detail: ok });
/** A run that should have worked (exit 0): its classification when it did not. */
const mustSucceed = (r: CliRun, what: string): CaseResult | undefined => {
  const c = classifyCli(r, what);
  return c.outcome === 'result' ? undefined : c.outcome === 'failure' ? c : fail(`${what} failed: ${c.detail}`);
};

/**
 * A classifier with open spatial size and a fixed 224×224 weight: 224×224 .npy inputs work (as does the CLI's probe
 * at the default size), a 5×5 one fails inside ORT — as a fully convolutional export fails at sizes it cannot take.
 */
function openSizeModel(path: string): void {
  const g = OnnxGraph.copyOf(decodeModel(new Uint8Array(readFileSync(MODEL))));
  g.graph.node.splice(0);
  g.graph.input.splice(0);
  g.graph.output.splice(0);
  g.graph.initializer.splice(0);
  g.addInput('x', ['n', 1, 'h', 'w']);
  const w = g.addInitializer(new Float32Array(SIDE * SIDE).map((_, i) => (i % 16) / 16), [1, 1, SIDE, SIDE], 'w');
  g.addNode('Mul', ['x', w], ['prod']);
  g.addNode('GlobalAveragePool', ['prod'], ['pooled']);
  g.addNode('Flatten', ['pooled'], ['one']);
  g.addNode('Concat', ['one', 'one'], ['scores'], { axis: { i: 1 } });
  g.addOutput('scores', ['n', 2]);
  writeFileSync(path, g.toBytes());
}

async function run(c: BatchCase): Promise<CaseResult> {
  const dir = tempDir('batch');
  const cli = (args: string[], opts: { killAfterMs?: number } = {}) => runCli(args, { cwd: dir, timeoutMs: RUN_LIMIT, ...opts });
  switch (c.kind) {
    case 'kill': {
      const files = inputs(dir, 10);
      const args = ['explain', MODEL, 'in', '-m', METHODS, '-o', 'out', '--npy'];
      const first = await cli(args, { killAfterMs: c.killAt });
      const rowsAtKill = existsSync(join(dir, 'out')) ? manifestLines(join(dir, 'out')) : 0;
      if (!first.killed) {
        const bad = mustSucceed(first, 'the first run');
        if (bad) return bad;
      }
      if (c.again !== undefined) await cli(args, { killAfterMs: c.again });
      const rerun = await cli(args);
      const bad = mustSucceed(rerun, 'the re-run after kill -9');
      if (bad) return bad;
      return checked(folderProblems(join(dir, 'out'), { inputs: files, methods: METHODS.split(',') }), `${first.killed ? `killed at ${c.killAt} ms with ${rowsAtKill} rows` : 'finished before the kill'}; the re-run completed every row`);
    }
    case 'collide': {
      mkdirSync(join(dir, 'in', 'a'), { recursive: true });
      mkdirSync(join(dir, 'in', 'd1'));
      mkdirSync(join(dir, 'in', 'd2'));
      copyFileSync(join(SAMPLES, '1-trouser.png'), join(dir, 'in', 'x.png'));
      writeFileSync(join(dir, 'in', 'x.npy'), encodeNpy(new Float32Array(784).fill(0.3), [1, 1, 28, 28]));
      copyFileSync(join(SAMPLES, '9-ankle-boot.png'), join(dir, 'in', 'a__b.png'));
      copyFileSync(join(SAMPLES, '5-sandal.png'), join(dir, 'in', 'a', 'b.png'));
      copyFileSync(join(SAMPLES, '1-trouser.png'), join(dir, 'in', 'd1', 'img.png'));
      copyFileSync(join(SAMPLES, '9-ankle-boot.png'), join(dir, 'in', 'd2', 'img.png'));
      const files = ['in/x.png', 'in/x.npy', 'in/a__b.png', 'in/a/b.png', 'in/d1/img.png', 'in/d2/img.png'];
      for (const force of [[], ['--force']]) {
        const r = await cli(['explain', MODEL, ...files, '-m', 'gradcam', '-o', 'out', '--npy', ...force]);
        const bad = mustSucceed(r, `explain ${force.join(' ')}`);
        if (bad) return bad;
      }
      const problems = folderProblems(join(dir, 'out'), { inputs: files, methods: ['gradcam'] });
      const rows = readFileSync(join(dir, 'out', 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row).slice(-files.length);
      if (new Set(rows.map((r) => r.npy)).size !== files.length) problems.push(`${files.length} inputs share ${new Set(rows.map((r) => r.npy)).size} .npy files`);
      return checked(problems, 'six colliding names, six separate outputs (also with --force)');
    }
    case 'concurrent': {
      const files = inputs(dir, 8);
      const args = ['explain', MODEL, 'in', '-m', METHODS, '-o', 'out', '--npy'];
      const [a, b] = await Promise.all([cli(args), cli(args)]);
      for (const [r, name] of [[a, 'run A'], [b, 'run B']] as const) {
        const k = classifyCli(r, name);
        if (k.outcome === 'failure') return k;
        if (k.outcome === 'error' && !/another Lumen run|lock/i.test(r.stderr)) return fail(`${name} failed with something other than the lock: ${k.detail}`);
      }
      const rows = readFileSync(join(dir, 'out', 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
      const errors = rows.filter((r) => r.status !== 'ok');
      if (errors.length) return fail(`${errors.length} error rows from two runs into one folder: ${errors[0]!.error}`);
      const rerun = await cli(args);
      const bad = mustSucceed(rerun, 'the re-run');
      if (bad) return bad;
      return checked(folderProblems(join(dir, 'out'), { inputs: files, methods: METHODS.split(',') }), `exits ${a.code}/${b.code}; no error rows; complete after a re-run`);
    }
    case 'row-error': {
      openSizeModel(join(dir, 'open.onnx'));
      mkdirSync(join(dir, 'in'));
      const npy = (name: string, side: number, fill: number): string => {
        writeFileSync(join(dir, 'in', name), encodeNpy(new Float32Array(side * side).fill(fill), [1, 1, side, side]));
        return `in/${name}`;
      };
      const good = [npy('a.npy', SIDE, 1), npy('c.npy', SIDE, 2), npy('d.npy', SIDE, 3)];
      npy('bad.npy', 5, 1);
      const r = await cli(['explain', 'open.onnx', 'in', '-m', 'saliency', '-t', '0', '-o', 'out', '--batch-size', '4']);
      const k = classifyCli(r, 'explain');
      if (k.outcome === 'failure') return k;
      if (r.code !== 1) return fail(`exit ${r.code}; one failed row should give exit 1`);
      const rows = readFileSync(join(dir, 'out', 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
      const bad = rows.find((x) => x.input === 'in/bad.npy');
      if (!bad || bad.status !== 'error') return fail(`the bad input's row: ${JSON.stringify(bad)}`);
      const problems = folderProblems(join(dir, 'out'), { inputs: good, methods: ['saliency'] }).filter((p) => !p.includes('bad.npy'));
      return checked(problems, `the ORT failure is its own row (${bad.error?.slice(0, 80)}), the other rows ok`);
    }
    case 'nan-row': {
      // NaN and Inf inputs in a batch: their rows fail with a NON_FINITE message (were all-NaN maps written as ok)
      mkdirSync(join(dir, 'in'));
      const npy = (name: string, fill: (i: number) => number): string => {
        writeFileSync(join(dir, 'in', name), encodeNpy(Float32Array.from({ length: 28 * 28 }, (_, i) => fill(i)), [1, 1, 28, 28]));
        return `in/${name}`;
      };
      const good = [npy('a.npy', () => 0.5), npy('c.npy', (i) => (i % 28) / 28)];
      const poisoned = [npy('nan.npy', (i) => (i === 300 ? Number.NaN : 0.5)), npy('inf.npy', (i) => (i === 5 ? Number.POSITIVE_INFINITY : 0.5))];
      const r = await cli(['explain', MODEL, 'in', '-m', 'saliency,gradcam', '-o', 'out', '--npy']);
      const k = classifyCli(r, 'explain');
      if (k.outcome === 'failure') return k;
      if (r.code !== 1) return fail(`exit ${r.code}; rows for NaN/Inf inputs should fail (exit 1)`);
      const rows = readFileSync(join(dir, 'out', 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Row);
      const problems: string[] = [];
      for (const input of poisoned) {
        for (const row of rows.filter((x) => x.input === input)) {
          if (row.status === 'ok') problems.push(`${input} × ${row.method} written as ok`);
          else if (!/NaN|infinite|non-finite/i.test(row.error ?? '')) problems.push(`${input} × ${row.method}: the error does not say why (${row.error})`);
        }
        if (rows.filter((x) => x.input === input).length !== 2) problems.push(`${input}: ${rows.filter((x) => x.input === input).length} rows for 2 methods`);
      }
      problems.push(...folderProblems(join(dir, 'out'), { inputs: good, methods: ['saliency', 'gradcam'] }).filter((p) => !poisoned.some((q) => p.includes(q))));
      return checked(problems, 'NaN/Inf inputs fail their own rows (NON_FINITE), the other rows ok');
    }
    case 'bad-out': {
      writeFileSync(join(dir, 'afile'), 'x');
      mkdirSync(join(dir, 'in'));
      copyFileSync(SAMPLE, join(dir, 'in', 'boot.png'));
      const r = await cli(c.args!);
      const k = classifyCli(r, c.args!.slice(0, 1).join(' '));
      if (k.outcome !== 'error') return k.outcome === 'failure' ? k : fail(`accepted a bad output target: ${k.detail}`);
      if (readFileSync(join(dir, 'afile'), 'utf8') !== 'x') return fail('the file given as -o was overwritten');
      return k;
    }
    case 'dup-methods': {
      const files = inputs(dir, 3);
      const r = await cli(['explain', MODEL, 'in', '-m', 'gradcam,gradcam,grad-cam', '-t', 'top1', '-t', 'top1', '-o', 'out']);
      const bad = mustSucceed(r, 'explain -m gradcam,gradcam');
      if (bad) return bad;
      const rows = manifestLines(join(dir, 'out'));
      const problems = folderProblems(join(dir, 'out'), { inputs: files, methods: ['gradcam'] });
      if (rows !== files.length) problems.push(`${rows} rows for ${files.length} inputs × one method`);
      return checked(problems, 'duplicates collapsed: one row per input');
    }
    case 'settings': {
      const files = inputs(dir, 3);
      const first = await cli(['explain', MODEL, 'in', '-m', 'occlusion', '-o', 'out', '--npy']);
      const bad = mustSucceed(first, 'the first run');
      if (bad) return bad;
      const before = snapshot(join(dir, 'out'));
      const from = manifestLines(join(dir, 'out'));
      const second = await cli(['explain', MODEL, 'in', '-m', 'occlusion', '--strides', '2', '-o', 'out', '--npy']);
      const k = classifyCli(second, 'the re-run with other settings');
      if (k.outcome === 'failure') return k;
      // the earlier rows stay valid (and their files untouched) when the later run refused to overwrite them
      const problems = folderProblems(join(dir, 'out'), { inputs: files, methods: ['occlusion'] }, before, from);
      return checked(problems, `re-run with other settings: ${k.outcome} (${k.detail.slice(0, 100)}); no earlier output overwritten`);
    }
    case 'evaluate-curves': {
      for (const d of ['d1', 'd2']) mkdirSync(join(dir, d));
      copyFileSync(join(SAMPLES, '1-trouser.png'), join(dir, 'd1', 'img.png'));
      copyFileSync(SAMPLE, join(dir, 'd2', 'img.png'));
      const r = await cli(['evaluate', MODEL, 'd1/img.png', 'd2/img.png', '-m', 'gradcam', '--metric', 'deletion', '-o', 'curves']);
      const bad = mustSucceed(r, 'evaluate');
      if (bad) return bad;
      const svgs = readdirSync(join(dir, 'curves')).filter((f) => f.endsWith('.svg'));
      return svgs.length === 2 ? { outcome: 'result', detail: `two inputs named img.png, two curve files` } : fail(`two inputs named img.png gave ${svgs.length} curve files: ${svgs.join(', ')}`);
    }
  }
}

/** Every command that writes to -o/--out, each given a value that cannot be an output folder or file. */
function badOutCases(): string[][] {
  const targets = ['', 'afile', 'afile/sub', '/proc/lumen-audit', '/sys/lumen-audit/out'];
  const commands: ((o: string) => string[])[] = [
    (o) => ['explain', MODEL, 'in', '-m', 'gradcam', '-o', o],
    (o) => ['evaluate', MODEL, 'in/boot.png', '--metric', 'deletion', '-o', o],
    (o) => ['export', MODEL, '-m', 'gradcam', '-o', o === '' ? '' : `${o}/x.onnx`],
    (o) => ['concepts', MODEL, 'in', '-o', o],
    (o) => ['merge', 'in', '-o', o],
    // -o names a file here: an existing file is a fine target, a folder is not
    (o) => ['activations', MODEL, 'in/boot.png', '-o', o === 'afile' ? 'in' : o],
  ];
  return commands.flatMap((make) => targets.map((t) => make(t)));
}

export const batch: Category<BatchCase> = {
  name: 'batch',
  title: 'batch runs: kill -9 at random points then a re-run (no lost row, no orphan file), colliding names, two runs into one --out, a runtime error on one input, duplicate methods, other settings, bad -o targets',
  timeoutMs: 400_000,
  slice: 1,
  plan(seed) {
    const rnd = mulberry32(seed + 2);
    const cases: BatchCase[] = [];
    const add = (c: Omit<BatchCase, 'id'>): void => void cases.push({ id: `batch/${cases.length}`, ...c });
    for (let i = 0; i < 14; i++) {
      const killAt = 1500 + Math.floor(rnd() * 4500);
      const again = i % 4 === 3 ? 1500 + Math.floor(rnd() * 3000) : undefined;
      add({ kind: 'kill', name: `kill -9 at ${killAt} ms${again ? `, again at ${again} ms of the re-run` : ''}, then re-run`, killAt, ...(again ? { again } : {}) });
    }
    add({ kind: 'collide', name: 'x.png/x.npy, a__b.png/a/b.png, d1/img.png/d2/img.png (then --force)' });
    add({ kind: 'concurrent', name: 'two runs into one --out at once' });
    add({ kind: 'concurrent', name: 'two runs into one --out at once (again)' });
    add({ kind: 'row-error', name: 'an ONNX Runtime error on one input of a batch' });
    add({ kind: 'nan-row', name: 'NaN and Inf inputs in a batch (rows must not be ok)' });
    add({ kind: 'dup-methods', name: '-m gradcam,gradcam,grad-cam -t top1 -t top1' });
    add({ kind: 'settings', name: 'a re-run with other settings into the same --out' });
    add({ kind: 'evaluate-curves', name: 'evaluate d1/img.png d2/img.png -o out' });
    for (const args of badOutCases()) add({ kind: 'bad-out', name: `${args[0]} -o '${args[args.indexOf('-o') + 1]}'`, args, expect: 'error' });
    return cases;
  },
  run,
};
