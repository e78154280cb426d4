import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';
import { emptyGraph } from '../helpers/graphs.js';
import { encodeNpy } from '../../src/io/npy.js';

const MODEL = 'models/fashion-cnn.onnx';
let dir: string;

function lumen(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user mistake: the given exit code, one clear message, and never a stack trace. */
function expectUserError(r: { code: number; stderr: string }, code: number, text: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, text);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('predict prints the top classes of the bundled samples', () => {
  const r = lumen('predict', MODEL, 'samples/fashion/9-ankle-boot.png', '--top', '2', '--json');
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { predictions: { label: string; probability: number }[] }[];
  assert.equal(out[0]!.predictions[0]!.label, 'Ankle boot');
  assert.ok(out[0]!.predictions[0]!.probability > 0.5);
});

test('model file errors: missing, not ONNX, truncated, unsupported opset, not an image model', () => {
  expectUserError(lumen('predict', join(dir, 'nope.onnx'), 'samples/fashion/1-trouser.png'), 1, /model file not found/);
  expectUserError(lumen('predict', 'README.md', 'samples/fashion/1-trouser.png'), 1, /text file, not an ONNX model/);
  const bytes = readFileSync(MODEL);
  writeFileSync(join(dir, 'cut.onnx'), bytes.subarray(0, bytes.length >> 1));
  expectUserError(lumen('predict', join(dir, 'cut.onnx'), 'samples/fashion/1-trouser.png'), 1, /truncated or corrupt/);
  const old = decodeModel(new Uint8Array(bytes));
  old.opsetImport.find((o) => o.domain === '')!.version = 6n;
  writeFileSync(join(dir, 'old.onnx'), encodeModel(old));
  expectUserError(lumen('predict', join(dir, 'old.onnx'), 'samples/fashion/1-trouser.png'), 1, /opset 6 .* not supported/);
  const g = emptyGraph();
  g.addInput('features', ['batch', 16]);
  g.addNode('Relu', ['features'], ['y']);
  g.addOutput('y', ['batch', 16]);
  writeFileSync(join(dir, 'tabular.onnx'), g.toBytes());
  expectUserError(lumen('predict', join(dir, 'tabular.onnx'), 'samples/fashion/1-trouser.png'), 1, /feature-vector model.*not images.*lumen pdp/);
});

test('input errors: missing image, corrupt image, tensor of the wrong shape', () => {
  expectUserError(lumen('predict', MODEL, join(dir, 'missing.png')), 1, /input not found/);
  const png = readFileSync('samples/fashion/1-trouser.png');
  writeFileSync(join(dir, 'broken.png'), png.subarray(0, 40));
  expectUserError(lumen('predict', MODEL, join(dir, 'broken.png')), 1, /broken\.png.*(truncated|corrupt|not a readable)/);
  writeFileSync(join(dir, 'wrong.npy'), encodeNpy(new Float32Array(3 * 28 * 28), [1, 3, 28, 28]));
  expectUserError(lumen('predict', MODEL, join(dir, 'wrong.npy')), 1, /\[1, 3, 28, 28\] does not fit/);
});

test('usage errors exit 2: unknown method, unknown layer, target out of range, bad flag', () => {
  expectUserError(lumen('explain', MODEL, 'samples/fashion/1-trouser.png', '-m', 'gradcamm', '--out', join(dir, 'o1')), 2, /unknown method 'gradcamm'.*gradcam/s);
  expectUserError(lumen('explain', MODEL, 'samples/fashion/1-trouser.png', '-m', 'gradcam', '--layer', 'conv5', '--out', join(dir, 'o2')), 2, /unknown layer 'conv5'.*Candidate/s);
  expectUserError(lumen('explain', MODEL, 'samples/fashion/1-trouser.png', '-m', 'gradcam', '--target', '12', '--out', join(dir, 'o3')), 2, /target class 12 is out of range: the model has 10 classes/);
  expectUserError(lumen('predict', MODEL, 'samples/fashion/1-trouser.png', '--top', 'x'), 2, /--top must be an integer, got 'x'/);
  assert.equal(lumen('predict', '--no-such-flag').code, 2);
  assert.equal(lumen('explain', '--help').code, 0);
});

test('batch explain over a folder: a corrupt file is recorded, the rest written; a re-run resumes; nothing is overwritten without --force', () => {
  const inputs = join(dir, 'inputs');
  mkdirSync(inputs);
  for (const f of ['1-trouser.png', '5-sandal.png', '9-ankle-boot.png']) copyFileSync(`samples/fashion/${f}`, join(inputs, f));
  writeFileSync(join(inputs, '4-corrupt.png'), 'not a png at all');
  const out = join(dir, 'out');
  const first = lumen('explain', MODEL, inputs, '-m', 'gradcam,occlusion', '--out', out, '--npy', '--batch-size', '2');
  assert.equal(first.code, 1, 'some rows failed → exit 1');
  assert.match(first.stdout, /6 written, 0 already done \(skipped\), 2 failed/);
  const manifest = (): { status: string; input: string; png?: string }[] =>
    readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { status: string; input: string; png?: string });
  assert.equal(manifest().filter((r) => r.status === 'error' && r.input.endsWith('4-corrupt.png')).length, 2);
  const pngs = readdirSync(out).filter((f) => f.endsWith('.png') && !f.endsWith('__input.png'));
  assert.equal(pngs.length, 6);

  const before = new Map(pngs.map((f) => [f, readFileSync(join(out, f))]));
  // Simulate an interrupted run: the last finished row never reached the manifest and its files are gone.
  const lines = readFileSync(join(out, 'manifest.jsonl'), 'utf8').trim().split('\n');
  const ok = lines.map((l) => JSON.parse(l) as { status: string; png: string; npy: string }).filter((r) => r.status === 'ok');
  const lost = ok[ok.length - 1]!;
  writeFileSync(join(out, 'manifest.jsonl'), `${lines.filter((l) => !l.includes(lost.png)).join('\n')}\n`);
  rmSync(join(out, lost.png));
  rmSync(join(out, lost.npy));
  const second = lumen('explain', MODEL, inputs, '-m', 'gradcam,occlusion', '--out', out, '--npy', '--batch-size', '2');
  assert.match(second.stdout, /1 written, 5 already done \(skipped\), 2 failed/);
  for (const [f, bytes] of before) if (f !== lost.png) assert.ok(readFileSync(join(out, f)).equals(bytes), `${f} untouched`);

  // An output that exists without a finished manifest row is never overwritten silently.
  writeFileSync(join(out, 'manifest.jsonl'), '');
  const third = lumen('explain', MODEL, join(inputs, '1-trouser.png'), '-m', 'gradcam', '--out', out, '--npy');
  assert.equal(third.code, 1);
  assert.match(third.stdout, /output exists.*earlier run.*--force/);
  const forced = lumen('explain', MODEL, join(inputs, '1-trouser.png'), '-m', 'gradcam', '--out', out, '--npy', '--force');
  assert.equal(forced.code, 0, forced.stderr);
});
