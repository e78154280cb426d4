/**
 * CLI flags of every command are validated through one parser (issue 23), and `evaluate -m a,b` compares methods in
 * one table (issue 22). Most checks call the parsers directly; two runs of the real CLI check the end-to-end output.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/api.js';
import { LumenError } from '../../src/errors.js';
import { Command } from 'commander';
import { flag } from '../../src/cli/flags.js';
import { integerFlag, methodOptionsFromFlags, numberFlag, parseMethodList } from '../../src/cli/method-flags.js';
import { loadModelWithFlags, metadataFromFlags } from '../../src/cli/model-options.js';
import { getMethod } from '../../src/methods/registry.js';
import { formatComparison } from '../../src/metrics/index.js';
import type { Evaluation } from '../../src/metrics/index.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-cli-h-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const usage = (text: RegExp) => (e: unknown): boolean => e instanceof LumenError && e.exitCode === 2 && text.test(e.message);

function lumen(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('integer flags: one parser with bounds for --batch-size, --seed, --top, --threads and method counts', async () => {
  assert.equal(integerFlag('batchSize', '32', 1), 32);
  assert.equal(integerFlag('seed', '-4'), -4);
  for (const bad of ['abc', '0', '-3', '1.5', '', '1e3', '2,3']) assert.throws(() => integerFlag('batchSize', bad, 1), usage(/--batch-size must be/), bad);
  assert.throws(() => integerFlag('seed', 'abc'), usage(/--seed must be an integer, got 'abc'/));
  assert.throws(() => integerFlag('batchSize', '1000000', 1), usage(/--batch-size must be within \[1, 100000\]/));
  await assert.rejects(loadModelWithFlags('models/fashion-cnn.onnx', { threads: '100000' }), usage(/--threads must be within \[1, 256\]/));
  await assert.rejects(loadModelWithFlags('models/fashion-cnn.onnx', { threads: 'many' }), usage(/--threads must be an integer, got 'many'/));
  assert.throws(() => methodOptionsFromFlags(getMethod('integrated-gradients'), { steps: '1e9' }), usage(/--steps \(integrated-gradients\) must be within \[2, 100000\], got 1000000000/));
  assert.throws(() => methodOptionsFromFlags(getMethod('smoothgrad'), { samples: '1000000' }), usage(/--samples \(smoothgrad\) must be within/));
  assert.throws(() => methodOptionsFromFlags(getMethod('rise'), { numMasks: '' }), usage(/--num-masks \(rise\) must be an integer, got ''/));
  assert.deepEqual(parseMethodList('gradcam, saliency,gradcam,grad-cam').map((m) => m.info.id), ['gradcam', 'saliency']);
  assert.throws(() => parseMethodList(' , '), usage(/no method given/));
});

test("lumen export -m reads its list with explain's and evaluate's parser (parseMethodList): an empty list in the same words", () => {
  const r = lumen('export', 'models/fashion-cnn.onnx', '-m', ' , ', '-o', join(dir, 'none.onnx'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^lumen: --method: no method given \(see 'lumen methods'\)/);
  assert.equal(readdirSync(dir).includes('none.onnx'), false);
});

test("a list for a one-number method flag is refused (evaluate/explain --samples '1,2' and --internal-batch-size '1,2' were internal errors); occlusion's per-channel --baselines takes one", () => {
  assert.throws(() => methodOptionsFromFlags(getMethod('smoothgrad'), { samples: '1,2' }), usage(/--samples \(smoothgrad\) must be an integer, got '1,2'/));
  assert.throws(() => methodOptionsFromFlags(getMethod('integrated-gradients'), { internalBatchSize: '1,2' }), usage(/--internal-batch-size \(integrated-gradients\) must be an integer, got '1,2'/));
  assert.throws(() => methodOptionsFromFlags(getMethod('smoothgrad'), { stdev: '0.1,0.2' }), usage(/--stdev \(smoothgrad\) must be a finite number, got '0.1,0.2'/));
  assert.deepEqual(methodOptionsFromFlags(getMethod('occlusion'), { baselines: '0,0.5,1' }), { baselines: [0, 0.5, 1] });
  assert.deepEqual(methodOptionsFromFlags(getMethod('occlusion'), { baselines: '0.5' }), { baselines: 0.5 });
});

test('--classes: a bad JSON file, a JSON file of the wrong shape and a folder are named errors', () => {
  writeFileSync(join(dir, 'bad.json'), '{bad');
  writeFileSync(join(dir, 'shape.json'), '{"classes": {"a": 1}}');
  writeFileSync(join(dir, 'null.json'), 'null');
  mkdirSync(join(dir, 'folder.json'));
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'bad.json') }), usage(/--classes .*bad\.json: not valid JSON/));
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'shape.json') }), usage(/expected a JSON array of class names/));
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'null.json') }), usage(/expected a JSON array/));
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'folder.json') }), usage(/a folder, not a file/));
  assert.deepEqual(metadataFromFlags({ classes: 'a,b' }).classes, ['a', 'b']);
});

test("--classes: '', a device, an empty file or an empty name are refused (and --normalization ''), and the names must match the model's classes (2 names for 10 classes were accepted)", async () => {
  writeFileSync(join(dir, 'empty.txt'), '\n\n');
  assert.throws(() => metadataFromFlags({ classes: '' }), usage(/--classes: no class names given/));
  assert.throws(() => metadataFromFlags({ classes: '/dev/null' }), usage(/--classes \/dev\/null: not a regular file/));
  assert.throws(() => metadataFromFlags({ classes: '/dev/zero' }), usage(/not a regular file/));
  assert.throws(() => metadataFromFlags({ classes: join(dir, 'empty.txt') }), usage(/holds no class names/));
  assert.throws(() => metadataFromFlags({ classes: 'a,,b' }), usage(/an empty class name in the list/));
  assert.throws(() => metadataFromFlags({ normalization: ' ' }), usage(/--normalization: no value given/));
  assert.throws(() => metadataFromFlags({ mean: 'abc' }), usage(/--mean takes comma-separated numbers, got 'abc'/));
  assert.throws(() => metadataFromFlags({ std: '0.5' }), usage(/--mean and --std go together/));
  await assert.rejects(loadModelWithFlags('models/fashion-cnn.onnx', { classes: 'a,b' }), usage(/--classes gives 2 class names, but the model's output 'logits' has 10 classes/));
  await assert.rejects(loadModelWithFlags('models/fashion-cnn.onnx', { classes: 'afile/missing' }), usage(/gives 1 class name, but/));
  const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
  const model = await loadModelWithFlags('models/fashion-cnn.onnx', { classes: names.join(',') });
  assert.deepEqual(model.classNames, names);
  await model.dispose();
  // convert stores the names in the ONNX metadata: checked the same way, nothing written
  const out = join(dir, 'emotion.onnx');
  const r = lumen('convert', 'test/fixtures/tfjs/human-emotion/model.json', '-o', out, '--classes', 'a,b');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^lumen: --classes gives 2 class names, but the model's output '[^']+' has 7 classes/);
  assert.ok(!readdirSync(dir).includes('emotion.onnx'));
});

test("an empty --layer or --output is refused when the flags are parsed (was ignored: the default layer or output was used without a word)", () => {
  const parse = (...args: string[]): Record<string, unknown> => {
    const cmd = new Command('x').exitOverride().addOption(flag.layer('<tensors>')).addOption(flag.output('output'));
    cmd.parse(args, { from: 'user' });
    return cmd.opts();
  };
  assert.throws(() => parse('--layer', ''), usage(/^--layer: an empty value; give a layer name \(see 'lumen layers'\)$/));
  assert.throws(() => parse('-l', ' '), usage(/--layer: an empty value/));
  assert.throws(() => parse('--output', ''), usage(/^--output: an empty value; give a model output name$/));
  assert.deepEqual(parse('--layer', 'a, b', '--output', 'logits'), { layer: ['a', 'b'], output: 'logits' });
});

test("-o <file> (activations, bench, convert, export) refuses '' and a folder when parsed, in checkOutputFile's words (as --cache)", () => {
  const parse = (...args: string[]): Record<string, unknown> => {
    const cmd = new Command('x').exitOverride().addOption(flag.out('<file>', 'file', 'default.json'));
    cmd.parse(args, { from: 'user' });
    return cmd.opts();
  };
  assert.throws(() => parse('-o', ''), usage(/^-o: the output file name is empty$/));
  assert.throws(() => parse('--out', ' '), usage(/^-o: the output file name is empty$/));
  assert.throws(() => parse('-o', dir), usage(/^-o .*: this is a folder, not a file; give a file name for the output$/));
  assert.deepEqual(parse('-o', join(dir, 'r.json')), { out: join(dir, 'r.json') });
  assert.deepEqual(parse(), { out: 'default.json' });
});

test("lumen demo --methods '' and --shortcut-methods with an unknown id are refused before any work (were the default list, and an error after the main demo)", () => {
  const out = join(dir, 'demo-out');
  for (const args of [['--methods', ''], ['--shortcut-methods', 'abc']]) {
    const r = lumen('demo', '-o', out, ...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, args[1] === '' ? /^lumen: --method: no method given/ : /^lumen: unknown method 'abc'/);
    assert.ok(!readdirSync(dir).includes('demo-out'), 'nothing written');
  }
});

test("empty values of 'string' method flags and of evaluate's --metric, --regions and --boxes are refused (were read as not given); --regions /dev/zero is not read", () => {
  assert.throws(() => methodOptionsFromFlags(getMethod('integrated-gradients'), { baseline: '' }), usage(/^--baseline \(integrated-gradients\): an empty value; give one/));
  assert.throws(() => methodOptionsFromFlags(getMethod('occlusion'), { strides: ' ' }), usage(/--strides \(occlusion\): an empty value/));
  assert.deepEqual(methodOptionsFromFlags(getMethod('integrated-gradients'), { baseline: 'blur' }), { baseline: 'blur' });
  assert.deepEqual(methodOptionsFromFlags(getMethod('integrated-gradients'), { baseline: '0.5' }), { baseline: 0.5 });
  writeFileSync(join(dir, 'regions-bad.json'), '{bad');
  writeFileSync(join(dir, 'regions-list.json'), '[]');
  for (const [args, text] of [
    [['--metric', ''], /^lumen: --metric: no metric given/],
    [['--metric', ' , '], /^lumen: --metric: no metric given/],
    [['--regions', ''], /^lumen: --regions: an empty value/],
    [['--regions', '/dev/zero'], /^lumen: --regions \/dev\/zero: not a regular file/],
    [['--boxes', ''], /^lumen: --boxes: an empty value/],
    [['--regions', join(dir, 'regions-bad.json')], /^lumen: --regions .*regions-bad\.json: not valid JSON \(/],
    [['--regions', join(dir, 'regions-list.json')], /^lumen: --regions .*regions-list\.json: expected a JSON object \{"<input>"/],
  ] as const) {
    const r = lumen('evaluate', 'models/fashion-cnn.onnx', 'samples/fashion/9-ankle-boot.png', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, text);
  }
});

test('formatComparison: one row per metric, one column per method, the best of each row starred by its direction', () => {
  const evaluation = (method: string, deletion: number, insertion: number): Evaluation => ({
    method,
    targets: [1],
    explanation: undefined as never,
    results: [
      { metric: 'deletion', title: '', category: 'faithfulness', higherIsBetter: false, value: deletion, values: [deletion], details: [], ms: 1 },
      { metric: 'insertion', title: '', category: 'faithfulness', higherIsBetter: true, value: insertion, values: [insertion], details: [], ms: 1 },
    ],
  });
  const lines = formatComparison([evaluation('gradcam', 0.5, 0.75), evaluation('saliency', 0.25, Number.NaN)]).split('\n');
  assert.match(lines[0]!, /^metric\s+better\s+gradcam\s+saliency$/);
  assert.match(lines[1]!, /^deletion\s+lower\s+0\.5000\s+0\.2500 \*$/);
  assert.match(lines[2]!, /^insertion\s+higher\s+0\.7500\s+n\/a$/, 'one finite value: nothing to compare, no star');
});

test('lumen evaluate -m gradcam,saliency compares both in one table; d1/img.png and d2/img.png keep their own curves; a bad input fails alone', () => {
  for (const d of ['d1', 'd2']) mkdirSync(join(dir, d));
  copyFileSync('samples/fashion/1-trouser.png', join(dir, 'd1', 'img.png'));
  copyFileSync('samples/fashion/9-ankle-boot.png', join(dir, 'd2', 'img.png'));
  writeFileSync(join(dir, 'bad.png'), 'not a png');
  const out = join(dir, 'curves');
  const r = lumen('evaluate', 'models/fashion-cnn.onnx', join(dir, 'd1', 'img.png'), join(dir, 'bad.png'), join(dir, 'd2', 'img.png'), '-m', 'gradcam,saliency,gradcam', '--metric', 'deletion,insertion', '-o', out);
  // the unreadable input fails alone (exit 1, one line naming it); the two others are scored
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^lumen: .*bad\.png: .*not an image/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal((r.stdout.match(/^metric\s+better\s+gradcam\s+saliency$/gm) ?? []).length, 2, r.stdout);
  assert.equal((r.stdout.match(/^deletion\s+lower\s+\d\.\d{4}( \*)?\s+\d\.\d{4}( \*)?$/gm) ?? []).length, 2, r.stdout);
  assert.match(r.stdout, /Grad-CAM vs Saliency/);
  const svgs = readdirSync(out).filter((f) => f.endsWith('.svg')).sort();
  assert.equal(svgs.length, 4, svgs.join(', '));
  assert.equal(new Set(svgs.map((s) => s.replace(/__(gradcam|saliency)__curves\.svg$/, ''))).size, 2, 'two inputs, two stems');
  // --json: the failed input's row has predict's shape (reportInputError), and nothing goes to stderr
  const j = lumen('evaluate', 'models/fashion-cnn.onnx', join(dir, 'bad.png'), '--json');
  assert.equal(j.code, 1, j.stderr);
  assert.equal(j.stderr, '');
  const rows = JSON.parse(j.stdout) as { input: string; status: string; error: string }[];
  assert.deepEqual(rows.map((x) => [x.input, x.status]), [[join(dir, 'bad.png'), 'error']]);
  assert.match(rows[0]!.error, /not an image/);
});

test('lumen explain -o afile, and into a folder another run holds: one line, no stack trace, nothing written (other output-folder cases: test/core/batch-hardening)', () => {
  writeFileSync(join(dir, 'afile'), 'x');
  for (const [args, text] of [
    [['explain', 'models/fashion-cnn.onnx', 'samples/fashion/1-trouser.png', '-m', 'gradcam', '-o', join(dir, 'afile')], /--out .*afile: this is a file, not a folder/],
  ] as const) {
    const r = lumen(...args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, text);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  }
  // a folder another live run writes into: refused before anything is written (run.json included)
  const busy = join(dir, 'busy');
  mkdirSync(busy);
  writeFileSync(join(busy, '.lumen.lock'), String(process.pid));
  const r = lumen('explain', 'models/fashion-cnn.onnx', 'samples/fashion/1-trouser.png', '-m', 'gradcam', '-o', busy);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`another Lumen run \\(process ${process.pid}\\) is writing into this folder`));
  assert.deepEqual(readdirSync(busy), ['.lumen.lock']);
});

test("lumen serve --port '', 1e3 and 70000 are refused (they were read as 0 and 1000), by integerFlag as every integer flag", () => {
  for (const [port, text] of [['', /^lumen: --port must be an integer, got ''$/m], ['1e3', /^lumen: --port must be an integer, got '1e3'$/m], ['70000', /^lumen: --port must be within \[0, 65535\], got 70000$/m]] as const) {
    const r = lumen('serve', '--port', port);
    assert.equal(r.code, 2, `--port '${port}': ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, text);
    assert.doesNotMatch(r.stdout, /web app at/);
  }
});

test('lumen evaluate --target w:1,2 is refused before any work (metrics score one class per image)', () => {
  const r = lumen('evaluate', 'models/fashion-cnn.onnx', 'samples/fashion/1-trouser.png', '-t', 'w:1,2', '--metric', 'deletion');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^lumen: --target w:1,2: metrics need one explained class per image/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(r.stdout, '');
});

test("--mean ''/--std '' and predict --score-threshold/--iou that are not numbers are refused on every model (were ignored or read as 0)", () => {
  assert.throws(() => metadataFromFlags({ mean: '', std: '' }), usage(/--mean takes comma-separated numbers, got ''/));
  assert.throws(() => metadataFromFlags({ mean: '0.5,', std: '0.2,0.2' }), usage(/--mean takes comma-separated numbers/));
  assert.throws(() => metadataFromFlags({ std: '' }), usage(/--std takes comma-separated numbers, got ''/));
  const r = lumen('predict', 'models/fashion-cnn.onnx', 'samples/fashion/1-trouser.png', '--iou', 'abc');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^lumen: --iou must be a finite number, got 'abc'/);
  // the bounds, and the other flag, in the same words (numberFlag, as integerFlag)
  assert.throws(() => numberFlag('scoreThreshold', '1.5', 0, 1), usage(/^--score-threshold must be within \[0, 1\], got 1\.5$/));
  assert.throws(() => numberFlag('iou', '', 0, 1), usage(/^--iou must be a finite number, got ''$/));
  assert.equal(numberFlag('iou', ' 0.45 ', 0, 1), 0.45);
  assert.equal(r.stdout, '');
});

test("lumen convert -o '' and -o through a file are named errors (-o '' was an internal error from rename)", () => {
  const model = 'test/fixtures/tfjs/human-emotion/model.json';
  const empty = lumen('convert', model, '-o', '');
  assert.equal(empty.code, 2, empty.stderr);
  assert.match(empty.stderr, /^lumen: -o: the output file name is empty/);
  writeFileSync(join(dir, 'plain'), 'x');
  const through = lumen('convert', model, '-o', join(dir, 'plain', 'x.onnx'));
  assert.equal(through.code, 1, through.stderr);
  assert.match(through.stderr, /^lumen: -o .*plain\/x\.onnx: cannot write there \(a part of the path is a file/);
  assert.doesNotMatch(through.stderr, /internal error|\n\s+at /);
});

test('lumen bench flags are checked before any measuring: unknown or empty --only/--models entries, --quick with --full, --repeats bounds, -o that is empty, a folder or under a file', async () => {
  const { registerBench } = await import('../../src/cli/commands/bench.js');
  const bench = async (...args: string[]): Promise<void> => {
    const program = new Command().exitOverride();
    registerBench(program);
    await program.parseAsync(['bench', ...args], { from: 'user' });
  };
  const results = join(dir, 'bench-results.json');
  // before this check, '--only ,' and '--only ""' ran every section (substring match of '') and 'forwrd' ran none
  await assert.rejects(bench('--only', ',', '-o', results), usage(/^--only: no section given \(one or more of forward, compile, .*\)$/));
  await assert.rejects(bench('--only', '', '-o', results), usage(/^--only: no section given \(/));
  await assert.rejects(bench('--only', 'forward,forwrd', '-o', results), usage(/^--only .*got 'forwrd'$/));
  await assert.rejects(bench('--models', 'resnet50,', '-o', results), usage(/^--models: an empty model in the list 'resnet50,'; remove the extra comma$/));
  await assert.rejects(bench('--quick', '--full', '-o', results), usage(/^--quick and --full exclude each other/));
  await assert.rejects(bench('--repeats', '100000', '-o', results), usage(/^--repeats must be within \[1, 1000\], got 100000$/));
  await assert.rejects(bench('--repeats', '1e9', '-o', results), usage(/^--repeats must be an integer, got '1e9'$/));
  // the results file: a stack trace after minutes of measuring before this check
  await assert.rejects(bench('--only', 'scale', '-o', ''), usage(/^-o: the output file name is empty$/));
  await assert.rejects(bench('--only', 'scale', '-o', dir), usage(/^-o .*: this is a folder, not a file; give a file name for the output$/));
  writeFileSync(join(dir, 'bench-plain'), 'x');
  await assert.rejects(bench('--only', 'scale', '-o', join(dir, 'bench-plain', 'r.json')), usage(/^-o .*bench-plain: this is a file, not a folder/));
  assert.equal(readdirSync(dir).includes('bench-results.json'), false);
});

test('lumen predict --out on a classifier or a detection head is refused (only class maps are written; it was ignored without a word)', () => {
  const out = join(dir, 'predict-out');
  const classifier = lumen('predict', 'models/fashion-cnn.onnx', 'samples/fashion/0-tshirt-top.png', '--out', out);
  assert.equal(classifier.code, 2, classifier.stderr);
  assert.match(classifier.stderr, /^lumen: --out .*predict-out: predict writes files only for segmentation models \(class maps\); this model's output is class scores \[1, 10\]/);
  const detector = lumen('predict', 'models/shapes-det.onnx', 'samples/shapes/000-circle.png', '--out', out, '--json');
  assert.equal(detector.code, 2, detector.stderr);
  assert.match(detector.stderr, /this model's output is a detection head \[1, 64, 10\]/);
  assert.equal(readdirSync(dir).includes('predict-out'), false);
  // without --out both still print (the default folder is not created either)
  const plain = lumen('predict', 'models/fashion-cnn.onnx', 'samples/fashion/0-tshirt-top.png', '--json');
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal((JSON.parse(plain.stdout) as { status: string }[])[0]!.status, 'ok');
});
