/**
 * Runs audit cases of one category in this process, in order, and reports each on stdout: `start <index>` before it,
 * one JSON line after it. The parent (scripts/audit/audit.ts) kills this process when a case gives no sign of life for
 * the category's time limit (a synchronous hang cannot be stopped from inside) and starts a new one after that case.
 * Usage: node --import tsx scripts/audit/worker.ts <category> <seed> <index,index,…>
 */
import { CATEGORIES } from './categories.js';
import { classifyThrown, MARK, type CaseResult } from './common.js';

const [name, seedText, list] = process.argv.slice(2) as [string, string, string];
const category = CATEGORIES.find((c) => c.name === name);
if (!category) throw new Error(`no audit category '${name}'`);
const seed = Number(seedText);
// kept: a case may replace process.stdout.write while it runs (the options category captures the CLI's output)
const emit = process.stdout.write.bind(process.stdout);
const cases = await category.plan(seed);
// A stray rejection or exception of a case (e.g. a stream error event nobody handles) is that case's failure.
let current = -1;
const stray = (e: unknown): void => {
  emit(`${MARK}${JSON.stringify({ index: current, stray: true, ...classifyThrown(e), outcome: 'failure' })}\n`);
};
process.on('uncaughtException', stray);
process.on('unhandledRejection', stray);

for (const index of list.split(',').filter(Boolean).map(Number)) {
  current = index;
  const c = cases[index]!;
  emit(`${MARK}start ${index}\n`);
  let result: CaseResult;
  try {
    result = await category.run(c, seed);
  } catch (e) {
    result = classifyThrown(e);
  }
  if (c.expect === 'error' && result.outcome === 'result') result = { outcome: 'failure', detail: `accepted, but must be refused: ${result.detail}` };
  emit(`${MARK}${JSON.stringify({ index, ...result })}\n`);
  if (result.restart) process.exit(0);
}
emit(`${MARK}done\n`);
process.exit(0);
