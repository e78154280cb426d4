/**
 * A seeded slice of `npm run audit` (scripts/audit, issue 23): each category's own small sample of cases — mutated
 * models and inputs, batch faults, invalid flag values, bad library calls, hostile server requests — must end in a
 * result or a clean LumenError, never a FAILURE (stack trace, internal error, hang, lost row, orphan or overwritten
 * file, a file served that was not asked for). The full audit (thousands of cases) is `npm run audit`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATEGORIES } from '../../scripts/audit/categories.js';
import { formatSummary, runAudit } from '../../scripts/audit/audit.js';

test('audit slice: every category, a seeded sample each, no failure', { timeout: 600_000 }, async (t) => {
  const report = await runAudit({ seed: 23, cases: 'slice' });
  t.diagnostic(formatSummary(report).split('\n').slice(0, CATEGORIES.length + 3).join(' | '));
  assert.deepEqual(report.summary.map((s) => s.category), CATEGORIES.map((c) => c.name), 'every category ran');
  for (const s of report.summary) assert.equal(s.cases, CATEGORIES.find((c) => c.name === s.category)!.slice, `${s.category}: every sampled case reported`);
  assert.deepEqual(report.records.filter((r) => r.outcome === 'failure').map((r) => `${r.id} ${r.name}: ${r.detail.slice(0, 300)}`), []);
  // the slice exercises both sides: some cases work, some are refused
  assert.ok(report.records.some((r) => r.outcome === 'result') && report.records.some((r) => r.outcome === 'error'));
});
