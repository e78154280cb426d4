/**
 * `lumen export`, `lumen explain --shard` and `lumen merge` from the command line: the files they write and one clear
 * error (exit code 2) for each bad input of issue 19.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../helpers/cli.js';

const MODEL = 'models/fashion-cnn.onnx';
let dir: string;

const lumen = (...args: string[]): ReturnType<typeof runCliInProcess> => runCliInProcess(args);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-export-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('lumen export writes the model and a Triton repository; bad inputs get one error each', async () => {
  const out = join(dir, 'f.explain.onnx');
  const repo = join(dir, 'repo');
  assert.equal((await lumen('export', MODEL, '-m', 'gradcam,saliency', '-o', out, '--triton', repo, '--json')).code, 0);
  assert.ok(existsSync(out) && existsSync(join(repo, 'f.explain', 'config.pbtxt')) && existsSync(join(repo, 'f.explain', '1', 'model.onnx')));
  assert.match(readFileSync(join(repo, 'f.explain', 'config.pbtxt'), 'utf8'), /max_batch_size: 8\n/);
  const cases: [string[], RegExp][] = [
    [['export', MODEL, '-m', 'gradcam', '-o', out], /-o .*f\.explain\.onnx: the file exists \(add --force to overwrite it\)/],
    [['export', MODEL, '-m', 'lime', '-o', join(dir, 'x.onnx')], /method 'lime' cannot be exported as an ONNX model\. Exportable: gradcam, .*occlusion/],
    [['export', MODEL, '-m', 'gradcam', '-l', 'no/such/layer', '-o', join(dir, 'x.onnx')], /unknown layer 'no\/such\/layer'/],
    [['export', MODEL, '-m', 'gradcam'], /give -o FILE\.onnx and\/or --triton DIR/],
    [['explain', MODEL, 'samples/fashion', '-m', 'gradcam', '--shard', '3/2', '--out', join(dir, 'p')], /--shard 3\/2: part 3 does not exist with 2 parts/],
  ];
  for (const [args, message] of cases) {
    const r = await lumen(...args);
    assert.equal(r.code, 2, `${args.join(' ')} → exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.ok(!existsSync(join(dir, 'x.onnx')));
});

test('lumen explain --shard i/n, then lumen merge: one folder with every row and a report; other settings refused', async () => {
  const parts = [0, 1].map((i) => join(dir, `part${i}`));
  for (const [i, p] of parts.entries()) assert.equal((await lumen('explain', MODEL, 'samples/fashion', '-m', 'gradcam', '--shard', `${i}/2`, '--out', p, '--json')).code, 0);
  const merged = join(dir, 'merged');
  assert.equal((await lumen('merge', ...parts, '-o', merged, '--json')).code, 0);
  const rows = readFileSync(join(merged, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean);
  assert.equal(rows.length, 10);
  assert.ok(existsSync(join(merged, 'report.html')));
  const other = join(dir, 'other');
  assert.equal((await lumen('explain', MODEL, 'samples/fashion', '-m', 'saliency', '--shard', '1/2', '--out', other, '--json')).code, 0);
  const r = await lumen('merge', parts[0]!, other, '-o', join(dir, 'bad'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /are runs with different methods: \[\{"id":"gradcam".*\}\] vs \[\{"id":"saliency".*\}\]; only runs with the same settings merge/);
});
