import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateShapeSample, type MarkerMode } from '../../src/datasets/shapes.js';
import { encodePng } from '../../src/node/image-file.js';
import { decodeModel, encodeModel } from '../../src/onnx/io.js';

const SHORTCUT = 'models/shapes-shortcut.onnx';
let dir: string;

function lumen(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok<T>(r: { code: number; stdout: string; stderr: string }): T {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

function expectUserError(r: { code: number; stderr: string }, text: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, text);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

/** Write generated shapes as PNGs into `folder`; returns the paths. */
async function writeShapes(folder: string, seed: number, count: number, mode: MarkerMode, label?: number, prefix = 'img'): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = generateShapeSample(seed, i, { markerMode: mode, ...(label !== undefined ? { label } : {}) });
    const path = join(folder, `${prefix}-${String(i).padStart(3, '0')}.png`);
    writeFileSync(path, await encodePng({ width: s.width, height: s.height, channels: 3, data: s.image }));
    out.push(path);
  }
  return out;
}

const shapes = readdirSync('samples/shapes').filter((f) => f.endsWith('.png')).sort().slice(0, 8).map((f) => join('samples/shapes', f));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lumen-concepts-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('concepts: k maps per image with a legend, concept shares sum to 1, class scores are probabilities', () => {
  const out = join(dir, 'dff');
  const r = ok<{ k: number; relativeError: number; bypassed: boolean; concepts: { topClasses: { probability: number }[]; logits: number[] }[]; images: { png: string; share: number[] }[] }>(lumen('concepts', SHORTCUT, ...shapes, '-k', '3', '--out', out, '--json'));
  assert.equal(r.k, 3);
  assert.equal(r.bypassed, false, 'no skip connection goes around the default layer');
  assert.equal(r.images.length, shapes.length);
  assert.ok(r.relativeError > 0 && r.relativeError < 1);
  for (const im of r.images) {
    assert.ok(existsSync(im.png));
    assert.ok(Math.abs(im.share.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  }
  for (const c of r.concepts) {
    assert.equal(c.logits.length, 5);
    assert.ok(c.topClasses[0]!.probability > 0 && c.topClasses[0]!.probability <= 1);
  }
  assert.ok(existsSync(join(out, 'concepts.json')));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.equal(html.match(/<img src="data:image\/png;base64,/g)?.length, shapes.length, 'one inline concept map per image');
  // bad input: k above the channel count, a layer without spatial extent
  expectUserError(lumen('concepts', SHORTCUT, shapes[0]!, '-k', '65', '--out', out), /k = 65 concepts but layer .* has only 64 channels/);
  expectUserError(lumen('concepts', SHORTCUT, shapes[0]!, '--layer', '/pool/GlobalAveragePool_output_0', '--out', out), /no spatial extent .*1×1.*needs a feature map/);
});

test('concepts: images of different sizes for a model without a fixed input size are one clear error', () => {
  const proto = decodeModel(new Uint8Array(readFileSync(SHORTCUT)));
  const dims = proto.graph!.input[0]!.type!.value.value as { shape: { dim: { value: { case: string; value: unknown } }[] } };
  dims.shape.dim[2]!.value = { case: 'dimParam', value: 'H' };
  dims.shape.dim[3]!.value = { case: 'dimParam', value: 'W' };
  const model = join(dir, 'open-size.onnx');
  writeFileSync(model, encodeModel(proto));
  copyFileSync('models/shapes-shortcut.json', join(dir, 'open-size.json'));
  expectUserError(lumen('concepts', model, shapes[0]!, 'test/fixtures/image/chelsea.png', '--out', join(dir, 'mixed')), /images of different sizes .*64×64.*chelsea\.png is \d+×\d+/);
  // the folder commands: the same error, whichever batch or earlier run embedded the first image
  const mixed = join(dir, 'mixed-data');
  mkdirSync(mixed);
  const sixteen = readdirSync('samples/shapes').filter((f) => f.endsWith('.png') && !f.includes('mask')).sort().slice(0, 16);
  for (const f of sixteen) copyFileSync(join('samples/shapes', f), join(mixed, f));
  const sameSize = ok<{ computed: number }>(lumen('neighbors', model, shapes[0]!, '--dataset', mixed, '--json'));
  assert.equal(sameSize.computed, 16);
  copyFileSync('test/fixtures/image/chelsea.png', join(mixed, 'z-chelsea.png'));
  const differ = /images of different sizes .*64×64.*z-chelsea\.png is \d+×\d+.*resize them to one size first/;
  // 16 cached 64×64 images, the new one in a batch of its own (was silently embedded at its own size)
  expectUserError(lumen('neighbors', model, shapes[0]!, '--dataset', mixed), differ);
  expectUserError(lumen('prototypes', model, '--dataset', mixed, '--cache', join(dir, 'mixed-fresh.json')), differ);
  expectUserError(lumen('craft', model, '--dataset', mixed, '--target', '0', '--out', join(dir, 'mixed-craft')), differ);
  expectUserError(lumen('tcav', model, '--concept', mixed, '--random', mixed, '--inputs', mixed, '--target', '0'), differ);
});

test('neighbors: cosine neighbours, embeddings cached, a changed file recomputed; empty folder is an error', async () => {
  const data = join(dir, 'neighbors');
  mkdirSync(data);
  for (const f of shapes) copyFileSync(f, join(data, f.split('/').pop()!));
  const query = join(data, shapes[3]!.split('/').pop()!);
  type Out = { neighbors: { file: string; similarity: number }[]; cached: number; computed: number; cache: string };
  const first = ok<Out>(lumen('neighbors', SHORTCUT, query, '--dataset', data, '-k', '3', '--json'));
  assert.equal(first.neighbors.length, 3);
  assert.equal(first.neighbors[0]!.file, query, 'the query itself is its nearest neighbour');
  assert.ok(Math.abs(first.neighbors[0]!.similarity - 1) < 1e-6);
  assert.ok(first.neighbors[1]!.similarity <= first.neighbors[0]!.similarity && first.neighbors[2]!.similarity <= first.neighbors[1]!.similarity);
  assert.deepEqual([first.cached, first.computed], [0, shapes.length]);
  assert.ok(existsSync(join(data, '.lumen-embeddings.json')));
  const second = ok<Out>(lumen('neighbors', SHORTCUT, query, '--dataset', data, '-k', '3', '--json'));
  assert.deepEqual([second.cached, second.computed], [shapes.length, 0], 'second query: every embedding from the cache');
  assert.deepEqual(second.neighbors, first.neighbors);
  // a file changes: only it is recomputed, and the query now finds the copy it became
  const changed = join(data, shapes[0]!.split('/').pop()!);
  copyFileSync(shapes[3]!, changed);
  const third = ok<Out>(lumen('neighbors', SHORTCUT, query, '--dataset', data, '-k', '2', '--json'));
  assert.deepEqual([third.cached, third.computed], [shapes.length - 1, 1]);
  assert.deepEqual(new Set(third.neighbors.map((n) => n.file)), new Set([query, changed]));
  // --cache elsewhere
  const elsewhere = join(dir, 'cache.json');
  assert.equal(ok<Out>(lumen('neighbors', SHORTCUT, query, '--dataset', data, '--cache', elsewhere, '--json')).computed, shapes.length);
  assert.ok(existsSync(elsewhere));
  mkdirSync(join(dir, 'empty'));
  expectUserError(lumen('neighbors', SHORTCUT, query, '--dataset', join(dir, 'empty')), /folder .*empty holds no images/);
  // the query: a missing file, a folder (both were internal errors after the dataset was embedded)
  expectUserError(lumen('neighbors', SHORTCUT, join(dir, 'no-such.png'), '--dataset', data), /input not found: .*no-such\.png/);
  expectUserError(lumen('neighbors', SHORTCUT, data, '--dataset', data), /<query> .*neighbors: give one image file, not a folder or a glob \(it names 8 images\)/);
  // the same error from every command that reads a folder
  expectUserError(lumen('prototypes', SHORTCUT, '--dataset', join(dir, 'empty')), /folder .*empty holds no images/);
  expectUserError(lumen('craft', SHORTCUT, '--dataset', join(dir, 'empty'), '--target', '0', '--out', join(dir, 'craft-empty')), /folder .*empty holds no images/);
  expectUserError(lumen('tcav', SHORTCUT, '--concept', join(dir, 'empty'), '--random', data, '--inputs', data, '--target', '0'), /folder .*empty holds no images/);
});

test('prototypes: a planted outlier class among the circles is listed as the criticisms; craft over the same folder', async () => {
  const data = join(dir, 'proto');
  await writeShapes(join(data, 'circle'), 21, 16, 'none', 0, 'circle');
  const outliers = await writeShapes(join(data, 'circle'), 22, 2, 'none', 3, 'star');
  const r = ok<{ prototypes: string[]; criticisms: { file: string; witness: number }[]; images: number }>(lumen('prototypes', SHORTCUT, '--dataset', data, '--class', 'circle', '--prototypes', '4', '--criticisms', '2', '--json'));
  assert.equal(r.images, 18);
  assert.equal(r.prototypes.length, 4);
  for (const p of r.prototypes) assert.match(p, /circle-/);
  assert.deepEqual(r.criticisms.map((c) => c.file).sort(), outliers.sort());
  expectUserError(lumen('prototypes', SHORTCUT, '--dataset', data, '--class', 'square'), /--class square: no folder/);
  // CRAFT over the same class folder: k concepts by decreasing importance, an atlas of crops of these files
  const out = join(dir, 'craft');
  const c = ok<{ k: number; concepts: { importance: number; atlas: { file: string; box: number[] }[] }[]; atlas: string }>(lumen('craft', SHORTCUT, '--dataset', data, '--class', 'circle', '--target', 'circle', '-k', '3', '--out', out, '--json'));
  assert.equal(c.concepts.length, 3);
  for (let j = 1; j < 3; j++) assert.ok(c.concepts[j - 1]!.importance >= c.concepts[j]!.importance);
  for (const a of c.concepts.flatMap((x) => x.atlas)) {
    assert.match(a.file, /proto\/circle\//);
    assert.deepEqual([a.box[2]! - a.box[0]!, a.box[3]! - a.box[1]!], [32, 32]);
  }
  assert.ok(existsSync(c.atlas) && existsSync(join(out, 'craft.json')));
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<img src="data:image\/png;base64,[^"]+" alt="concept atlas">/);
});

test('tcav from the CLI: JSON {score, pValue, significant, runs}; each --random folder is one random set; several --concept folders give an array with Bonferroni; too few concept images says how many are needed', async () => {
  const concept = await writeShapes(join(dir, 'tcav', 'concept'), 31, 10, 'consistent', 2);
  await writeShapes(join(dir, 'tcav', 'concept2'), 35, 10, 'consistent', 0);
  await writeShapes(join(dir, 'tcav', 'random1'), 32, 8, 'none');
  await writeShapes(join(dir, 'tcav', 'random2'), 33, 8, 'none');
  await writeShapes(join(dir, 'tcav', 'inputs'), 34, 4, 'none', 2);
  const args = ['--random', join(dir, 'tcav', 'random1'), join(dir, 'tcav', 'random2'), '--inputs', join(dir, 'tcav', 'inputs'), '--target', 'triangle'];
  type Row = { concept?: string; layer: string; score: number; pValue: number; significant: boolean; runs: number; conceptScores: number[]; randomScores: number[]; threshold: number; sharedGradient: boolean; randomSets: number; randomPairs: [number, number][] };
  // two random folders, --runs left at its default: one run per folder, the null over the two ordered pairs of distinct folders
  const r = ok<Row>(lumen('tcav', SHORTCUT, '--concept', join(dir, 'tcav', 'concept'), ...args, '--json'));
  assert.ok(!Array.isArray(r), 'one concept: the single-object JSON');
  assert.equal(r.runs, 2);
  assert.equal(r.conceptScores.length, 2);
  assert.equal(r.randomSets, 2);
  assert.deepEqual(r.randomPairs, [[0, 1], [1, 0]]);
  assert.equal(r.randomScores.length, 2);
  assert.ok(r.score >= 0 && r.score <= 1 && r.pValue >= 0 && r.pValue <= 1);
  assert.equal(r.significant, r.pValue < 0.05);
  assert.equal(r.threshold, 0.05);
  assert.equal(r.sharedGradient, true, 'the default layer feeds GlobalAveragePool → Gemm: one gradient for every input');
  // --concept twice: an array in the folders' order, each at alpha / 2; the first equals the single-concept run but the threshold
  const both = ok<Row[]>(lumen('tcav', SHORTCUT, '--concept', join(dir, 'tcav', 'concept'), '--concept', join(dir, 'tcav', 'concept2'), ...args, '--json'));
  assert.equal(both.length, 2);
  assert.deepEqual(both.map((x) => x.concept), [join(dir, 'tcav', 'concept'), join(dir, 'tcav', 'concept2')]);
  assert.ok(both.every((x) => x.threshold === 0.025 && x.significant === x.pValue < 0.025));
  assert.deepEqual({ ...both[0]!, concept: undefined, threshold: 0, significant: false }, { ...r, concept: undefined, threshold: 0, significant: false });
  // the report shows one row per concept
  const out = join(dir, 'tcav-report');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'tcav.json'), JSON.stringify(both));
  const { readConceptOutputs } = await import('../../src/node/concepts-report.js');
  const { conceptReportSections } = await import('../../src/report/concepts-html.js');
  const html = conceptReportSections(readConceptOutputs(out)).find((x) => x.title === 'TCAV')!.html;
  for (const x of both) assert.ok(html.includes(`<td>${x.concept}</td><td>${x.layer}</td><td>2</td><td>${x.score.toFixed(3)}</td>`), html);
  assert.match(html, /Bonferroni over the 2 concepts/);
  // the note the CLI prints for this layer (tcavNotes), from the saved JSON
  assert.match(html, /<p><strong>Note:<\/strong> Every input has the same gradient at .* so each CAV scores 0 or 1; an earlier layer gives input-dependent derivatives\.<\/p>/);
  expectUserError(lumen('tcav', SHORTCUT, '--concept', join(dir, 'tcav', 'concept'), ...args, '--runs', '3'), /3 runs need 3 random sets .*2 given/);
  rmSync(concept[0]!);
  expectUserError(lumen('tcav', SHORTCUT, '--concept', join(dir, 'tcav', 'concept'), ...args, '--runs', '2'), /9 concept images; at least 10 are needed/);
});

test('neighbors on a TF.js model: the embedding cache is keyed by the weight shards too (new weights beside the same model.json recompute)', () => {
  const model = join(dir, 'tfjs-emotion');
  mkdirSync(model);
  for (const f of ['model.json', 'emotion.bin']) copyFileSync(join('test/fixtures/tfjs/human-emotion', f), join(model, f));
  const data = join(dir, 'tfjs-data');
  mkdirSync(data);
  for (const f of shapes.slice(0, 3)) copyFileSync(f, join(data, f.split('/').pop()!));
  const run = (): { cached: number; computed: number; neighbors: { similarity: number }[] } => ok(lumen('neighbors', join(model, 'model.json'), shapes[0]!, '--dataset', data, '-k', '3', '--json'));
  const first = run();
  assert.deepEqual([first.cached, first.computed], [0, 3]);
  assert.deepEqual([run().cached, run().computed], [3, 0], 'same model: every embedding from the cache');
  // other weights: the first weight (float32 [3, 3, 128, 1], a depthwise kernel) halved; model.json unchanged
  const bin = readFileSync(join(model, 'emotion.bin'));
  const w = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  for (let i = 0; i < 3 * 3 * 128; i++) w[i] = w[i]! * 0.5;
  writeFileSync(join(model, 'emotion.bin'), new Uint8Array(w.buffer));
  const after = run();
  assert.deepEqual([after.cached, after.computed], [0, 3], 'new weights: recomputed, not served stale');
});
