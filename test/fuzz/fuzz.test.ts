/**
 * Seeded fuzz test (issue 23): a few hundred mutants of the bundled models (byte-level and structural), of a PNG
 * sample and of a .npy tensor, each loaded, predicted and explained. Each case must end in a result or in one
 * LumenError — never another exception, a stack trace or a hang. The cases run in a child process (test/fuzz/runner.ts)
 * that is killed when one case gives no sign of life for PER_CASE_LIMIT_MS: a synchronous hang (as the Identity cycle
 * at the output was) cannot be interrupted from inside the process that hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FUZZ_COUNTS } from '../../scripts/audit/mutants.js';

const SEED = 23;
const TOTAL = Object.values(FUZZ_COUNTS).reduce((a, b) => a + b, 0);
/** A hang guard, not a speed requirement: a healthy case takes well under a second. */
const PER_CASE_LIMIT_MS = 60_000;

interface Outcome {
  i: number;
  kind: string;
  name: string;
  outcome: 'ok' | 'error' | 'crash';
  code?: string;
  detail: string;
}

function runCases(first: number, count: number): Promise<{ outcomes: Outcome[]; hung?: string; stderr: string; exit: number | null }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fuzz/runner.ts', String(SEED), String(first), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const outcomes: Outcome[] = [];
    let current = '';
    let hung: string | undefined;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = current || 'start-up';
        child.kill('SIGKILL');
      }, PER_CASE_LIMIT_MS);
    };
    arm();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      arm();
      if (line.startsWith('start ')) current = line.slice(6);
      else if (line.startsWith('{')) outcomes.push(JSON.parse(line) as Outcome);
    });
    child.on('close', (exit) => {
      clearTimeout(timer);
      done({ outcomes, hung, stderr, exit });
    });
  });
}

test(`fuzz: ${TOTAL} seeded mutants of models, images and .npy files end in a result or one LumenError, never a crash or a hang`, { timeout: 600_000 }, async (t) => {
  const { outcomes, hung, stderr, exit } = await runCases(0, TOTAL);
  assert.equal(hung, undefined, `case '${hung}' gave no sign of life for ${PER_CASE_LIMIT_MS / 1000} s (a hang)`);
  assert.equal(exit, 0, `the runner died (exit ${exit}) after ${outcomes.length} cases; last: ${JSON.stringify(outcomes.at(-1))}\n${stderr.slice(-2000)}`);
  assert.equal(outcomes.length, TOTAL);
  const crashes = outcomes.filter((o) => o.outcome === 'crash');
  assert.deepEqual(crashes.map((c) => `#${c.i} ${c.kind} ${c.name}: ${c.detail.split('\n').slice(0, 3).join(' | ')}`), [], 'errors that are not LumenErrors');
  for (const o of outcomes.filter((x) => x.outcome === 'error')) {
    assert.doesNotMatch(o.detail, /\n\s+at .+:\d+:\d+/, `#${o.i} ${o.name}: a stack trace in the message`);
    assert.doesNotMatch(o.detail, /internal error|undefined|\[object Object\]/i, `#${o.i} ${o.name}: ${o.detail}`);
    assert.ok(o.detail.length > 10, `#${o.i} ${o.name}: a message that says something`);
  }
  // The mutants are not all refused: some still load and explain (e.g. flips in weights), so the pipeline really ran.
  const byKind = (kind: string, outcome: string): number => outcomes.filter((o) => o.kind === kind && o.outcome === outcome).length;
  assert.ok(byKind('model', 'ok') > 0 && byKind('model', 'error') > 0, 'model mutants both pass and fail');
  assert.ok(byKind('npy', 'error') > 0 && byKind('png', 'error') > 0);
  const codes = new Map<string, number>();
  for (const o of outcomes) codes.set(o.code ?? o.outcome, (codes.get(o.code ?? o.outcome) ?? 0) + 1);
  t.diagnostic(`outcomes: ${[...codes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
});
