/**
 * Audit category `options`: invalid values for every flag of every `lumen` command, generated from the commander
 * definitions themselves (a new command or flag is covered without editing this file). Each case runs the CLI's
 * `main()` in the worker process with otherwise valid arguments. A value a number flag cannot mean ('abc', 'NaN', '')
 * must be refused; any value may be refused, but never with a stack trace or `internal error`. A command still
 * running after ACCEPT_MS took the value: that is a result, and the worker starts afresh.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, type Option } from 'commander';
import { registerCommands } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/main.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { listMethods } from '../../src/methods/registry.js';
import type { OptionSpec } from '../../src/methods/types.js';
import { firstLine, MODEL, REPO, SAMPLE, SAMPLES, tempDir, unclean, type AuditCase, type CaseResult, type Category } from './common.js';

interface OptionCase extends AuditCase {
  argv: string[];
}

/** A run that has not finished by then accepted its arguments (it is stopped by restarting the worker). */
const ACCEPT_MS = 15_000;
/** Commands that serve until stopped: their flags are audited in the `server` category. */
const SKIP_COMMANDS = new Set(['serve']);

const TABULAR_MODEL = join(REPO, 'test', 'fixtures', 'tabular', 'breast_cancer_mlp.onnx');
const TABULAR_DATA = join(REPO, 'test', 'fixtures', 'tabular', 'breast_cancer.csv');
const TFJS_MODEL = join(REPO, 'test', 'fixtures', 'tfjs', 'human-emotion', 'model.json');

/** Positional arguments by their name (relative paths live in the worker's scratch folder, see `scratch`). */
function positional(command: string, name: string, tabular: boolean): string[] {
  if (name === 'model') return [tabular ? TABULAR_MODEL : MODEL];
  if (name === 'data') return [TABULAR_DATA];
  if (name === 'inputs' || name === 'images') return ['in'];
  if (name === 'image' || name === 'query') return ['in/boot.png'];
  if (name === 'out-dir' || name === 'dirs') return ['prepared'];
  if (name === 'model.json') return [TFJS_MODEL];
  if (name === 'dir' && command === 'conformance') return [join(REPO, 'conformance')];
  return ['in'];
}

/** Values for required options (and for flags a command needs to do anything quickly). */
// (long names: a required option is recognised here by its long name; with '-m' every explain and export case also
// got '--method x' and ended as "unknown method 'x'" before the flag under test was read)
const BASE_OPTIONS: Record<string, string[]> = {
  explain: ['--method', 'gradcam', '--out', 'out'],
  export: ['--method', 'gradcam', '--out', 'out/x.onnx'],
  convert: ['--out', 'out/x.onnx'],
  merge: ['--out', 'merged'],
  conformance: ['--filter', 'no-such-row'],
  bench: ['--quick', '--no-browser'],
  evaluate: ['--method', 'gradcam', '--metric', 'deletion'],
};

function requiredValue(o: Option): string {
  if (/<dir(\.\.\.)?>/.test(o.flags)) return 'in';
  if (/<class>/.test(o.flags)) return '0';
  if (/<file/.test(o.flags)) return 'out/file';
  return 'x';
}

type Kind = 'number' | 'path' | 'text' | 'bool' | 'target';

/** The method option behind a generated method flag (`--steps`, `--integrated-gradients-method`), when it is one. */
function methodSpec(long: string): { spec: OptionSpec; method: string } | undefined {
  for (const m of listMethods()) {
    for (const spec of m.options) {
      const kebab = spec.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      if (long === kebab || long === `${m.id.replace(/[^a-z0-9]+/gi, '-')}-${kebab}`) return { spec, method: m.id };
    }
  }
  return undefined;
}

function kindOf(o: Option, spec: OptionSpec | undefined): Kind {
  if (o.long === '--target' && /<(spec|class)>/.test(o.flags)) return 'target';
  if (spec) return spec.type === 'boolean' ? 'bool' : spec.type === 'number' || spec.type === 'integer' ? 'number' : 'text';
  if (/<(n|k|p|port|i\/n|lo,hi|values)>/.test(o.flags)) return 'number';
  if (/<[^>]*(dir|file|cache|model)[^>]*>/.test(o.flags)) return 'path';
  return 'text';
}

const VALUES: Record<Kind, { value: string; refuse?: boolean }[]> = {
  number: [{ value: '', refuse: true }, { value: 'abc', refuse: true }, { value: 'NaN', refuse: true }, { value: '-1' }, { value: '0' }, { value: '1.5' }, { value: '1e9' }, { value: '1,2' }],
  // (a missing path under a file: never created, whatever the flag does with it)
  path: [{ value: '' }, { value: 'afile/missing' }, { value: 'afile' }, { value: 'emptydir' }, { value: '/dev/null' }],
  text: [{ value: '' }, { value: 'abc' }, { value: ',' }, { value: '-1' }, { value: 'x'.repeat(3000) }],
  bool: [{ value: 'maybe', refuse: true }, { value: '' }],
  // target specs (docs/targets.md) that do not fit the 10-class model, or another kind of model (issue 23: --target w:1,2)
  target: [{ value: 'w:1,2', refuse: true }, { value: 'w:abc', refuse: true }, { value: '99999', refuse: true }, { value: 'top0' }, { value: '1,2' }, { value: '3:prob' }, { value: 'seg:2' }, { value: 'det:17' }, { value: 'out:1e9' }, { value: 'embed:missing.png' }, { value: 'seg:2:mask=afile' }],
};

async function program(): Promise<Command> {
  await loadAllMethods();
  const p = new Command('lumen');
  registerCommands(p);
  return p;
}

export const options: Category<OptionCase> = {
  name: 'options',
  title: 'invalid values for every flag of every command (generated from the commander definitions: unbounded counts, non-numbers, empty values, bad paths, devices)',
  timeoutMs: 90_000,
  slice: 8,
  async plan() {
    const cases: OptionCase[] = [];
    const add = (c: Omit<OptionCase, 'id'>): void => void cases.push({ id: `options/${cases.length}`, ...c });
    for (const cmd of (await program()).commands) {
      const name = cmd.name();
      if (SKIP_COMMANDS.has(name)) continue;
      const tabular = cmd.registeredArguments.some((a) => a.name() === 'data');
      const args = cmd.registeredArguments.flatMap((a) => positional(name, a.name(), tabular));
      const required = cmd.options.filter((o) => o.mandatory && !(BASE_OPTIONS[name] ?? []).includes(o.long!)).flatMap((o) => [o.long!, requiredValue(o)]);
      const base = [name, ...args, ...(BASE_OPTIONS[name] ?? []), ...required];
      add({ name: `${name} (valid arguments)`, argv: base });
      for (const o of cmd.options) {
        if (!o.long || o.long === '--help') continue;
        const found = methodSpec(o.long.slice(2));
        // a method flag is given with a method that declares it (and only that one)
        const withMethod = found && base.includes('--method') ? base.map((a, i) => (base[i - 1] === '--method' ? found.method : a)) : base;
        if (!o.required && !o.optional) {
          add({ name: `${name} ${o.long}`, argv: [...withMethod, o.long] });
          continue;
        }
        const kind = kindOf(o, found?.spec);
        // a flag's own value replaces the base value of that flag
        const at = withMethod.indexOf(o.long);
        const rest = at >= 0 ? [...withMethod.slice(0, at), ...withMethod.slice(at + 2)] : withMethod;
        for (const v of VALUES[kind]) {
          add({ name: `${name} ${o.long} '${v.value.length > 20 ? `${v.value.slice(0, 8)}…(${v.value.length})` : v.value}'`, argv: [...rest, o.long, v.value], ...(v.refuse ? { expect: 'error' as const } : {}) });
        }
      }
    }
    return cases;
  },
  async run(c) {
    scratch();
    // each case writes into fresh output folders: an earlier case's out/x.onnx or explain rows made later cases end
    // as "the file exists" or "output exists" before their flag was read
    for (const d of ['out', 'merged']) rmSync(join(scratchDir!, d), { recursive: true, force: true });
    mkdirSync(join(scratchDir!, 'out'));
    const out: string[] = [];
    const err: string[] = [];
    const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
    process.exitCode = undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const code = await Promise.race([main(c.argv), new Promise<'running'>((done) => (timer = setTimeout(() => done('running'), ACCEPT_MS)))]);
      const stderr = err.join('');
      if (code === 'running') return { outcome: 'result', detail: `accepted (still running after ${ACCEPT_MS / 1000} s)`, restart: true };
      const why = unclean(`lumen: ${stderr}`);
      if (why && why !== 'an empty message') return { outcome: 'failure', detail: `printed ${why}: ${stderr.slice(0, 500)}` };
      if (code === 0) return { outcome: 'result', detail: firstLine(out.join('')) || 'exit 0' };
      return { outcome: 'error', code: `exit ${code}`, detail: firstLine(stderr) || `exit ${code}, nothing on stderr` };
    } finally {
      clearTimeout(timer);
      process.stdout.write = write.out;
      process.stderr.write = write.err;
      process.exitCode = undefined;
    }
  },
};

let scratchDir: string | undefined;
/** The worker's scratch folder (its cwd): in/ with three samples, an empty folder, a file, a finished explain folder. */
function scratch(): void {
  if (scratchDir && existsSync(scratchDir)) return;
  scratchDir = tempDir('options');
  mkdirSync(join(scratchDir, 'in'));
  for (const f of readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).slice(0, 3)) copyFileSync(join(SAMPLES, f), join(scratchDir, 'in', f));
  copyFileSync(SAMPLE, join(scratchDir, 'in', 'boot.png'));
  mkdirSync(join(scratchDir, 'emptydir'));
  mkdirSync(join(scratchDir, 'out'));
  writeFileSync(join(scratchDir, 'afile'), 'not what any flag wants\n');
  // a finished `lumen explain` folder for report/merge (one row, written by hand in the manifest's format)
  mkdirSync(join(scratchDir, 'prepared'));
  copyFileSync(SAMPLE, join(scratchDir, 'prepared', 'boot.png'));
  writeFileSync(join(scratchDir, 'prepared', 'manifest.jsonl'), `${JSON.stringify({ key: 'k', input: 'in/boot.png', method: 'gradcam', target: 'top1', status: 'ok', class: 9, label: 'Ankle boot', probability: 0.9, png: 'boot.png' })}\n`);
  process.chdir(scratchDir);
}
