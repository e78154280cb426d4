/**
 * `lumen predict` with a bad input among good ones (issue 23): the bad one gets one clear line (or an error row with
 * --json), the others are still predicted, and the exit code is 1 at the end.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { emptyModel } from '../autodiff/helpers.js';

const MODEL = 'models/fashion-cnn.onnx';
const BOOT = 'samples/fashion/9-ankle-boot.png';
const TROUSER = 'samples/fashion/1-trouser.png';
let dir: string;
let corrupt: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-predict-'));
  // a PNG cut in the middle of its image data
  const png = readFileSync(BOOT);
  corrupt = join(dir, 'corrupt.png');
  writeFileSync(corrupt, png.subarray(0, Math.floor(png.length / 2)));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function lumen(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

type Row = { input: string; status: 'ok'; predictions: { label: string; probability: number }[] } | { input: string; status: 'error'; error: string };

test('predict --json: a corrupt image is an error row, the good images around it (same batch and next batch) are predicted, exit 1', () => {
  const r = lumen('predict', MODEL, BOOT, corrupt, TROUSER, '--batch-size', '2', '--top', '1', '--json');
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Row[];
  assert.deepEqual(rows.map((x) => [x.input, x.status]), [[BOOT, 'ok'], [corrupt, 'error'], [TROUSER, 'ok']]);
  const [boot, bad, trouser] = rows;
  assert.ok(boot!.status === 'ok' && boot.predictions[0]!.label === 'Ankle boot' && boot.predictions[0]!.probability > 0.5);
  assert.ok(trouser!.status === 'ok' && trouser.predictions[0]!.label === 'Trouser');
  assert.ok(bad!.status === 'error');
  assert.match(bad.error, /corrupt\.png/);
  assert.doesNotMatch(bad.error, /\n\s+at /);
});

test('predict (text): one line on stderr names the corrupt image, the others are printed, exit 1', () => {
  const r = lumen('predict', MODEL, corrupt, BOOT, '--top', '1');
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^lumen: .*corrupt\.png/);
  assert.match(r.stdout, new RegExp(`^${BOOT}\\n\\s+9\\s+Ankle boot`, 'm'));
  assert.doesNotMatch(r.stdout, /corrupt/);
});

test('predict on a segmentation model: a corrupt first image is an error row, the class map of the next is written, exit 1', () => {
  const out = join(dir, 'seg');
  const r = lumen('predict', 'conformance/models/tiny_segnet.onnx', corrupt, 'conformance/inputs/chelsea64.png', '--out', out, '--json');
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as ({ input: string; status: 'ok'; classMapNpy: string; categories: { pixels: number }[] } | { input: string; status: 'error'; error: string })[];
  assert.deepEqual(rows.map((x) => x.status), ['error', 'ok']);
  const [bad, good] = rows;
  assert.ok(bad!.status === 'error' && /corrupt\.png/.test(bad.error));
  assert.ok(good!.status === 'ok' && good.categories.reduce((a, c) => a + c.pixels, 0) === 64 * 64);
  assert.ok(readFileSync(good.classMapNpy).length > 64 * 64, 'the class map .npy is written');
});

test('predict: a batch run that fails (NaN logits for one image) is retried image by image; only that image fails', () => {
  // logits = log(channel means): an image with a negative channel mean gives NaN logits, which forward refuses
  const g = emptyModel({ x: ['N', 3, 4, 4] });
  g.addNode('Log', [g.op('Flatten', [g.op('GlobalAveragePool', ['x'])])], ['logits']);
  g.setOutputs(['logits']);
  const model = join(dir, 'log.onnx');
  writeFileSync(model, g.toBytes());
  const image = (sign: number, name: string): string => {
    const file = join(dir, name);
    writeFileSync(file, encodeNpy(Float32Array.from({ length: 48 }, (_, i) => sign * (1 + (i % 16)) * (1 + Math.floor(i / 16))), [1, 3, 4, 4]));
    return file;
  };
  const [a, bad, b] = [image(1, 'a.npy'), image(-1, 'bad.npy'), image(1, 'b.npy')];
  const r = lumen('predict', model, a, bad, b, '--top', '1', '--json');
  assert.equal(r.code, 1, r.stderr);
  const rows = JSON.parse(r.stdout) as Row[];
  assert.deepEqual(rows.map((x) => [x.input, x.status]), [[a, 'ok'], [bad, 'error'], [b, 'ok']]);
  // channel means 8.5, 17, 25.5: the third class wins with softmax(log m) = 25.5 / 51
  const top = rows[0]!.status === 'ok' ? rows[0].predictions[0]! : undefined;
  assert.ok(top && Math.abs(top.probability - 0.5) < 1e-6, JSON.stringify(top));
  assert.ok(rows[1]!.status === 'error' && /non-finite|NaN/i.test(rows[1].error), JSON.stringify(rows[1]));
});
