import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainFiles, type ManifestRow } from '../../src/node/explain-files.js';
import { getMethod } from '../../src/methods/registry.js';
import { loadAllMethods } from '../../src/methods/load-all.js';
import { loadModel } from '../../src/node/load.js';
import { bundledModelPath } from '../../src/node/paths.js';
import { mergeRuns, parseShard, shardOf } from '../../src/node/shard.js';
import { LumenError } from '../../src/errors.js';

await loadAllMethods();
const dir = mkdtempSync(join(tmpdir(), 'lumen-shard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const files = readdirSync('samples/fashion').filter((f) => f.endsWith('.png')).map((f) => `samples/fashion/${f}`);
const model = await loadModel(bundledModelPath());
const methods = [getMethod('gradcam'), getMethod('saliency')];

function run(out: string, opts: { shard?: { index: number; count: number }; methods?: typeof methods; model?: typeof model } = {}): ReturnType<typeof explainFiles> {
  return explainFiles(opts.model ?? model, files, { methods: opts.methods ?? methods, targets: ['top1'], methodOptions: () => ({}), outDir: out, npy: true, batchSize: 1, ...(opts.shard ? { shard: opts.shard } : {}) });
}

function manifestRows(out: string): Map<string, ManifestRow> {
  const rows = readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ManifestRow);
  // timings are the only field that may differ between runs
  return new Map(rows.map((r) => [r.key, { ...r, timings: undefined }]));
}

const outputFiles = (out: string): string[] => readdirSync(out).filter((f) => f.endsWith('.png') || f.endsWith('.npy')).sort();

test('parseShard: i/n with 0 ≤ i < n, one clear error otherwise', () => {
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  assert.deepEqual(parseShard(' 0 / 1 '), { index: 0, count: 1 });
  assert.throws(() => parseShard('3/2'), (e: unknown) => e instanceof LumenError && e.code === 'BAD_OPTION' && /part 3 does not exist with 2 parts \(parts are 0…1\)/.test(e.message));
  assert.throws(() => parseShard('2/2'), /part 2 does not exist/);
  assert.throws(() => parseShard('1/0'), /number of parts must be from 1/);
  assert.throws(() => parseShard('a/b'), /expected i\/n/);
  assert.throws(() => parseShard('-1/2'), /expected i\/n/);
});

test('shardOf: a hash of the path relative to the working folder, pinned so parts stay put across versions', () => {
  assert.equal(shardOf('samples/fashion/0-tshirt-top.png', 1000), shardOf('./samples/fashion/0-tshirt-top.png', 1000));
  assert.equal(shardOf(join(process.cwd(), 'samples/fashion/0-tshirt-top.png'), 1000), shardOf('samples/fashion/0-tshirt-top.png', 1000));
  assert.deepEqual(files.map((f) => shardOf(f, 3)), PINNED_PARTS);
  // roughly even over many paths
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) counts[shardOf(`data/img${i}.png`, 4)]!++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `part sizes ${counts.join(', ')}`);
});

test('a run split in 3 parts, merged, equals one run (rows, PNGs and .npy byte for byte); merge refuses mismatched runs', async () => {
  const whole = join(dir, 'whole');
  await run(whole);
  const parts = [0, 1, 2].map((index) => join(dir, `part${index}`));
  const sizes: number[] = [];
  for (const [index, out] of parts.entries()) sizes.push((await run(out, { shard: { index, count: 3 } })).rows.length);
  assert.equal(sizes.reduce((a, b) => a + b, 0), files.length * methods.length);
  assert.ok(sizes.every((s) => s < files.length * methods.length), `every part holds a strict subset (${sizes.join(', ')})`);

  const merged = join(dir, 'merged');
  const result = mergeRuns(parts, merged);
  assert.deepEqual(result.missingShards, []);
  assert.deepEqual(result.shards, [0, 1, 2]);
  assert.equal(result.rows, files.length * methods.length);
  assert.deepEqual(manifestRows(merged), manifestRows(whole));
  assert.deepEqual(outputFiles(merged), outputFiles(whole));
  for (const f of outputFiles(whole)) assert.deepEqual(readFileSync(join(merged, f)), readFileSync(join(whole, f)), f);
  assert.deepEqual(JSON.parse(readFileSync(join(merged, 'settings.json'), 'utf8')), JSON.parse(readFileSync(join(whole, 'settings.json'), 'utf8')));

  // refusals, each with one clear error
  const refuse = (dirs: string[], out: string, re: RegExp): void => assert.throws(() => mergeRuns(dirs, out), (e: unknown) => e instanceof LumenError && re.test(e.message), re.source);
  refuse(parts, merged, /exists and is not empty \(add --force/);
  refuse([parts[0]!, parts[0]!], join(dir, 'm2'), /both hold part 0\/3/);
  refuse([parts[0]!, whole], join(dir, 'm3'), /different shards: 3 vs null/);
  const otherMethods = join(dir, 'other-methods');
  await run(otherMethods, { shard: { index: 1, count: 3 }, methods: [getMethod('saliency')] });
  refuse([parts[0]!, otherMethods], join(dir, 'm4'), /runs with different methods/);
  const otherModel = join(dir, 'other-model');
  await run(otherModel, { shard: { index: 1, count: 3 }, model: await loadModel('conformance/models/fashion_cnn.onnx') });
  refuse([parts[0]!, otherModel], join(dir, 'm5'), /runs with different models \(fashion-cnn\.onnx sha256 [0-9a-f]{12}… vs fashion_cnn\.onnx/);
  writeFileSync(join(dir, 'not-a-run.txt'), '');
  refuse([parts[0]!, dir], join(dir, 'm6'), /is not the output folder of a 'lumen explain' run \(no settings\.json\)/);
  // a partial merge says which parts are missing
  const partial = mergeRuns([parts[2]!, parts[0]!], join(dir, 'partial'));
  assert.deepEqual(partial.missingShards, [1]);
});

const PINNED_PARTS: number[] = [0, 1, 0, 0, 1, 0, 1, 1, 2, 1];
