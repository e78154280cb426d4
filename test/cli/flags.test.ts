/** Flag values read once (src/cli/flags.ts): the file a flag names, and comma-separated lists. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LumenError } from '../../src/errors.js';
import { Command } from 'commander';
import '../../src/api.js';
import { flag, parseList, readFlagFile } from '../../src/cli/flags.js';
import { parseMethodList } from '../../src/cli/method-flags.js';
import { registerEvaluate } from '../../src/cli/commands/evaluate.js';
import { registerExplain } from '../../src/cli/commands/explain.js';
import { registerExport } from '../../src/cli/commands/export.js';
import { TARGET_SYNTAX } from '../../src/targets/spec.js';
import { registerTabular } from '../../src/cli/commands/tabular.js';
import { metadataFromFlags } from '../../src/cli/model-options.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-flags-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (code: string, exitCode: number, text: RegExp) => (e: unknown): boolean =>
  e instanceof LumenError && e.code === code && e.exitCode === exitCode && text.test(e.message);

test('readFlagFile: the text of a regular file; empty, missing, a folder or a device refused in one wording', () => {
  writeFileSync(join(dir, 'a.json'), '{"x": 1}');
  mkdirSync(join(dir, 'folder'));
  assert.equal(readFlagFile('--regions', join(dir, 'a.json'), 'JSON file'), '{"x": 1}');
  assert.throws(() => readFlagFile('--regions', ' ', 'JSON file'), refused('BAD_OPTION', 2, /^--regions: an empty value; give a JSON file$/));
  assert.throws(() => readFlagFile('--regions', join(dir, 'none.json'), 'JSON file'), refused('FILE_NOT_FOUND', 1, /^--regions file not found: .*none\.json$/));
  assert.throws(() => readFlagFile('--regions', join(dir, 'folder'), 'JSON file'), refused('BAD_OPTION', 2, /^--regions .*folder: a folder, not a JSON file$/));
  assert.throws(() => readFlagFile('--regions', '/dev/zero', 'JSON file'), refused('BAD_OPTION', 2, /^--regions \/dev\/zero: not a regular file; give a JSON file$/));
  // --classes reads a file through it when one exists (else the value is a list of names)
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'folder') }), refused('BAD_OPTION', 2, /^--classes .*folder: a folder, not a file of class names \(JSON or text\)$/));
  assert.throws(() => metadataFromFlags({ classes: '/dev/zero' }), refused('BAD_OPTION', 2, /^--classes \/dev\/zero: not a regular file; give a file of class names \(JSON or text\)$/));
});

test('comma-separated lists, one rule (parseList): entries trimmed, an empty list or an empty entry refused, not dropped', async () => {
  assert.deepEqual(parseList('--x', ' a, b ,c', 'name'), ['a', 'b', 'c']);
  const usage = (text: RegExp) => refused('BAD_OPTION', 2, text);
  for (const blank of ['', ' ', ',', ' , ']) assert.throws(() => parseList('--x', blank, 'name', ' (hint)'), usage(/^--x: no name given \(hint\)$/), `'${blank}'`);
  for (const gap of ['a,,b', 'a,', ',a', 'a, ,b']) assert.throws(() => parseList('--x', gap, 'name'), usage(new RegExp(`^--x: an empty name in the list '${gap}'; remove the extra comma$`)), gap);
  // each list flag goes through it: -m (explain, evaluate, export, demo's --methods), -l, --classes, --metric,
  // bench's --models/--only (hardening.test.ts), the tabular column lists and --feature
  assert.deepEqual(parseMethodList('gradcam, saliency').map((m) => m.info.id), ['gradcam', 'saliency']);
  assert.throws(() => parseMethodList('gradcam,'), usage(/^--method: an empty method in the list 'gradcam,'; remove the extra comma$/));
  assert.throws(() => metadataFromFlags({ classes: 'a,b,' }), usage(/^--classes: an empty class name in the list 'a,b,'; remove the extra comma$/));
  const layers = new Command().exitOverride().addOption(flag.layer('<tensors>'));
  assert.deepEqual(layers.parse(['-l', 'a, b'], { from: 'user' }).opts().layer, ['a', 'b']);
  assert.throws(() => new Command().exitOverride().addOption(flag.layer('<tensors>')).parse(['-l', 'a,,b'], { from: 'user' }), /--layer: an empty layer name in the list 'a,,b'; remove the extra comma/);
  const run = async (register: (p: Command) => void, ...args: string[]): Promise<void> => {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(args, { from: 'user' });
  };
  await assert.rejects(run(registerEvaluate, 'evaluate', 'models/fashion-cnn.onnx', 'samples/fashion/9-ankle-boot.png', '--metric', 'deletion,'), usage(/^--metric: an empty metric in the list 'deletion,'; remove the extra comma$/));
  const tabular = ['test/fixtures/tabular/breast_cancer_mlp.onnx', 'test/fixtures/tabular/breast_cancer.csv', '--target-column', 'target', '--out', join(dir, 'tabular')];
  await assert.rejects(run(registerTabular, 'pdp', ...tabular, '--ignore', 'x,', '--feature', 'mean radius'), usage(/^--ignore: an empty column name in the list 'x,'; remove the extra comma$/));
  await assert.rejects(run(registerTabular, 'pdp', ...tabular, '--categorical', '', '--feature', 'mean radius'), usage(/^--categorical: no column name given$/));
  await assert.rejects(run(registerTabular, 'pdp', ...tabular, '--feature', 'mean radius,'), usage(/^--feature: an empty feature name in the list 'mean radius,'; remove the extra comma$/));
});

test("--target help of explain and evaluate is spec.ts's TARGET_SYNTAX: every form and its meaning, in the same words (was written twice, evaluate's lacking w:, :prob, :class=, :obj)", () => {
  const program = new Command();
  registerExplain(program);
  registerEvaluate(program);
  for (const name of ['explain', 'evaluate']) {
    const help = program.commands.find((c) => c.name() === name)!.helpInformation().replace(/\s+/g, ' ');
    for (const { form, meaning } of TARGET_SYNTAX) assert.ok(help.includes(`${form} (${meaning})`), `${name} --help lacks ${form} (${meaning})`);
    assert.ok(help.includes('suffix :prob'), `${name} --help lacks :prob`);
  }
  assert.equal(TARGET_SYNTAX.length, 8);
  assert.deepEqual(TARGET_SYNTAX.map((s) => s.form.split(/[:<]/)[0]), ['3', 'top1/top2/…', '3,5', 'w', 'out', 'seg', 'det', 'embed']);
});

test("--seed is refused where it is parsed when outside seedOption's range (explain, evaluate, export), not recorded as a failure per file", async () => {
  const run = async (register: (p: Command) => void, ...args: string[]): Promise<void> => {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(args, { from: 'user' });
  };
  const out = join(dir, 'seed-out');
  const image = 'samples/fashion/9-ankle-boot.png';
  for (const seed of ['4294967296', '-2147483649']) {
    const words = new RegExp(`^--seed must be within \\[-2147483648, 4294967295\\], got ${seed}$`);
    await assert.rejects(run(registerExplain, 'explain', 'models/fashion-cnn.onnx', image, '-m', 'rise', `--seed=${seed}`, '-o', out), refused('BAD_OPTION', 2, words), `explain ${seed}`);
    await assert.rejects(run(registerEvaluate, 'evaluate', 'models/fashion-cnn.onnx', image, '-m', 'rise', `--seed=${seed}`), refused('BAD_OPTION', 2, words), `evaluate ${seed}`);
    await assert.rejects(run(registerExport, 'export', 'models/fashion-cnn.onnx', '-m', 'rise', `--seed=${seed}`, '-o', join(dir, 'x.onnx')), refused('BAD_OPTION', 2, words), `export ${seed}`);
  }
});
