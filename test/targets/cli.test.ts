// The CLI's target syntax and `lumen predict` on a segmentation model and on a raw detection head.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load.js';
import { loadInput } from '../../src/node/inputs.js';
import { npyToTensor } from '../../src/io/npy.js';
import { encodeNpy } from '../../src/io/npy.js';
import { classMap, detectionHead, forwardTarget, nonMaxSuppression } from '../../src/targets/index.js';
import { multiHeadGraph } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lumen-targets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const lumen = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const SEGNET = 'conformance/models/tiny_segnet.onnx';
const IMAGE = 'conformance/inputs/chelsea64.png';

test('lumen predict on a segmentation model writes the class map (PNG and .npy = argmax of the logits)', async () => {
  const r = lumen('predict', SEGNET, IMAGE, '--out', dir, '--json');
  assert.equal(r.code, 0, r.err);
  const rows = JSON.parse(r.out) as { classMapNpy: string; categories: { category: number; pixels: number }[] }[];
  const map = npyToTensor(new Uint8Array(readFileSync(rows[0]!.classMapNpy)));
  const model = await loadModel(SEGNET);
  const { values } = await forwardTarget(model, (await loadInput(IMAGE, model)).tensor);
  assert.deepEqual(Array.from(map.data), Array.from(classMap(values, 0)));
  assert.equal(rows[0]!.categories.reduce((a, c) => a + c.pixels, 0), 64 * 64);
  await model.dispose();
});

test('lumen predict on a raw detection head (--output) lists the boxes after NMS; explain det:<index> and out:<index> on it', async () => {
  const file = join(dir, 'heads.onnx');
  writeFileSync(file, multiHeadGraph().toBytes());
  const x = join(dir, 'x.npy');
  const data = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 0.7));
  writeFileSync(x, encodeNpy(data, [1, 3, 8, 8]));
  const r = lumen('predict', file, x, '--output', 'det', '--score-threshold', '0', '--iou', '0.3', '--json');
  assert.equal(r.code, 0, r.err);
  const det = (JSON.parse(r.out) as { detections: { index: number; score: number }[] }[])[0]!.detections;
  const model = await loadModel(file);
  const { values } = await forwardTarget(model, (await loadInput(x, model)).tensor, 'det');
  const expected = nonMaxSuppression(values.data, detectionHead(values.dims), 0, 0.3);
  assert.deepEqual(det.map((d) => d.index), expected.map((d) => d.index));
  await model.dispose();
  const out = join(dir, 'explained');
  const e = lumen('explain', file, x, '-m', 'saliency,occlusion', '--output', 'det', '-t', `det:${expected[0]!.index}`, '-o', out, '--json');
  assert.equal(e.code, 0, e.err);
  const rows = (JSON.parse(e.out) as { rows: { status: string; class: number }[] }).rows;
  assert.deepEqual(rows.map((row) => [row.status, row.class]), [['ok', expected[0]!.cls], ['ok', expected[0]!.cls]]);
  const reg = lumen('explain', file, x, '-m', 'saliency', '--output', 'reg', '-t', 'out:1', '-t', `embed:${x}`, '-o', out, '--json');
  assert.equal(reg.code, 0, reg.err);
  assert.deepEqual((JSON.parse(reg.out) as { rows: { status: string }[] }).rows.map((row) => row.status), ['ok', 'ok']);
  // a reference image of another size: one clear error before any work
  const bad = lumen('explain', file, x, '-m', 'saliency', '--output', 'emb', '-t', 'embed:conformance/inputs/chelsea64.npy', '-o', out);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^lumen: .*input of shape \[1, 3, 64, 64\] does not fit the model's input 'x' \[N, 3, 8, 8\]\n$/);
});

test('lumen explain: segmentation targets with a mask file and a box; bad targets fail before any work with one clear message', () => {
  const out = join(dir, 'seg');
  const mask = 'conformance/refs/tiny_segnet/chelsea64/c1/mask.npy';
  const ok = lumen('explain', SEGNET, IMAGE, '-m', 'gradcam', '-t', `seg:1:mask=${mask}`, '-t', 'seg:2:box=0,0,32,32', '-o', out, '--json');
  assert.equal(ok.code, 0, ok.err);
  const bad = (target: string, extra: string[] = []): string => {
    const r = lumen('explain', SEGNET, IMAGE, '-m', 'gradcam', '-t', target, ...extra, '-o', out);
    assert.equal(r.code, 2, `${target}: exit ${r.code} ${r.err}`);
    return r.err;
  };
  const small = join(dir, 'small.npy');
  writeFileSync(small, encodeNpy(new Float32Array(16), [4, 4]));
  assert.match(bad(`seg:1:mask=${small}`), /mask has 16 values; the model's output is 64×64/);
  assert.match(bad('seg:9'), /category 9 is out of range: the model has 6 categories/);
  assert.match(bad('seg:1:box=0,0,65,10'), /box 0,0,65,10 is not a non-empty rectangle inside the 64×64 image/);
  assert.match(bad('3', ['--output', 'logitz']), /unknown output 'logitz'/);
});
